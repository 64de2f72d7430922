/**
 * SQLite storage used by the Socket.IO and blog-style baselines: better-sqlite3, WAL, one
 * synchronous insert per message. `BENCH_SYNC=full` (default) fsyncs every commit, `off` skips fsync.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BaselineGroup } from './baseline-http.js';

/** A stored message in v1 shape; `seq` is the global row id (increasing, not gap-free per conversation). */
export interface StoredMsg {
  id: string;
  conv: string;
  seq: number;
  from: string;
  kind: string;
  body: unknown;
  ts: number;
  clientMsgId?: string;
}

interface Row {
  id: number;
  conv: string;
  sender: string;
  kind: string;
  body: string;
  ts: number;
  client_msg_id: string | null;
}

const toMsg = (r: Row): StoredMsg => ({
  id: String(r.id),
  conv: r.conv,
  seq: r.id,
  from: r.sender,
  kind: r.kind,
  body: JSON.parse(r.body),
  ts: r.ts,
  clientMsgId: r.client_msg_id ?? undefined,
});

/** Opens (creates) the baseline database in `BENCH_DATA_DIR` (or `MINIIM_DATA_DIR`). */
export function openStore(opts: { uniqueClientMsgId: boolean }) {
  const dir = process.env.BENCH_DATA_DIR ?? process.env.MINIIM_DATA_DIR ?? '.';
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'baseline.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${process.env.BENCH_SYNC === 'off' ? 'OFF' : 'FULL'}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, conv TEXT NOT NULL, sender TEXT NOT NULL,
      kind TEXT NOT NULL, body TEXT NOT NULL, ts INTEGER NOT NULL, client_msg_id TEXT);
    CREATE INDEX IF NOT EXISTS messages_conv ON messages (conv, id);
    CREATE TABLE IF NOT EXISTS groups (id TEXT PRIMARY KEY, name TEXT, owner TEXT, created_at INTEGER);
    CREATE TABLE IF NOT EXISTS members (group_id TEXT, user_id TEXT, PRIMARY KEY (group_id, user_id));
    CREATE INDEX IF NOT EXISTS members_user ON members (user_id);
  `);
  if (opts.uniqueClientMsgId) db.exec('CREATE UNIQUE INDEX IF NOT EXISTS messages_client ON messages (sender, client_msg_id)');
  const insertMsg = db.prepare('INSERT INTO messages (conv, sender, kind, body, ts, client_msg_id) VALUES (?, ?, ?, ?, ?, ?)');
  const byClientId = db.prepare('SELECT * FROM messages WHERE sender = ? AND client_msg_id = ?');
  const after = db.prepare('SELECT * FROM messages WHERE conv = ? AND id > ? ORDER BY id LIMIT ?');
  const insertGroup = db.prepare('INSERT INTO groups (id, name, owner, created_at) VALUES (?, ?, ?, ?)');
  const insertMember = db.prepare('INSERT OR IGNORE INTO members (group_id, user_id) VALUES (?, ?)');
  const countMembers = db.prepare('SELECT COUNT(*) AS n FROM members WHERE group_id = ?');
  const getGroup = db.prepare('SELECT * FROM groups WHERE id = ?');
  const memberRows = db.prepare('SELECT user_id FROM members WHERE group_id = ?');
  const groupsOfUser = db.prepare('SELECT group_id FROM members WHERE user_id = ?');
  const isMemberStmt = db.prepare('SELECT 1 FROM members WHERE group_id = ? AND user_id = ?');
  let groupCounter = 0;

  const groupOut = (id: string): BaselineGroup | undefined => {
    const g = getGroup.get(id) as { id: string; name: string; owner: string; created_at: number } | undefined;
    if (!g) return undefined;
    const n = (countMembers.get(id) as { n: number }).n;
    return { id: g.id, name: g.name, owner: g.owner, memberCount: n, createdAt: g.created_at };
  };

  return {
    /** Inserts one message (one transaction, one fsync when durable); returns the existing one on a resend. */
    insert(conv: string, from: string, kind: string, body: unknown, clientMsgId?: string): StoredMsg {
      const ts = Date.now();
      try {
        const r = insertMsg.run(conv, from, kind, JSON.stringify(body), ts, clientMsgId ?? null);
        const id = Number(r.lastInsertRowid);
        return { id: String(id), conv, seq: id, from, kind, body, ts, clientMsgId };
      } catch (err) {
        const existing = byClientId.get(from, clientMsgId ?? null) as Row | undefined;
        if (existing) return toMsg(existing);
        throw err;
      }
    },
    history(conv: string, afterSeq: number, limit: number): { messages: StoredMsg[]; hasMore: boolean } {
      const rows = after.all(conv, afterSeq, limit + 1) as Row[];
      return { messages: rows.slice(0, limit).map(toMsg), hasMore: rows.length > limit };
    },
    createGroup(owner: string, name: string, members: string[]): BaselineGroup {
      const id = `sg${process.pid}x${++groupCounter}`;
      db.transaction(() => {
        insertGroup.run(id, name, owner, Date.now());
        for (const u of new Set([owner, ...members])) insertMember.run(id, u);
      })();
      return groupOut(id)!;
    },
    addMembers(id: string, userIds: string[]): BaselineGroup | undefined {
      if (!getGroup.get(id)) return undefined;
      db.transaction(() => {
        for (const u of userIds) insertMember.run(id, u);
      })();
      return groupOut(id);
    },
    members(groupId: string): string[] {
      return (memberRows.all(groupId) as { user_id: string }[]).map((r) => r.user_id);
    },
    groupsOf(userId: string): string[] {
      return (groupsOfUser.all(userId) as { group_id: string }[]).map((r) => r.group_id);
    },
    isMember(groupId: string, userId: string): boolean {
      return isMemberStmt.get(groupId, userId) !== undefined;
    },
  };
}
