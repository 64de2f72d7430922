/**
 * SQLite backend (better-sqlite3, WAL). Message batches, read state, recalls,
 * profiles and logins commit with synchronous=NORMAL and are made durable by an
 * fdatasync of the WAL (file-syncer.ts: on the thread pool, or at light load at the
 * end of the event-loop turn) before anyone is told;
 * the rare group and WeChat writes use synchronous=FULL. Schema and migrations
 * go through Kysely; the hot paths (append, history, read state) use prepared
 * statements directly because they run synchronously inside one transaction per
 * batch and Kysely's per-query compile would cost more than the query.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { convKindOf, type Msg } from '@miniim/protocol';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Logger } from '../../logger.js';
import { KyselyAdminRepo } from '../kysely/kysely-admin-repo.js';
import {
  type ConversationRowDb,
  type Database as DbSchema,
  decodeCursor,
  type MessageRowDb,
  membershipPage,
  rowToMembership,
  rowToMsg,
  rowToSession,
  rowToUser,
  type SessionRowDb,
  type SessionUserRowDb,
  sessionWithUser,
  type UserRowDb,
} from '../rows.js';
import { type MigrateMode, type OpenSchema, prepareSchema, type SchemaManager, schemaManager } from '../schema.js';
import type {
  AppendOptions,
  AppendResult,
  CommitObserver,
  ConversationRow,
  ConversationSummary,
  MembershipRow,
  NewMessage,
  SessionRow,
  Storage,
  StoredUser,
} from '../storage.js';
import { FileSyncer } from './file-syncer.js';
import { type CheckpointerOptions, SqliteCheckpointer } from './sqlite-checkpointer.js';
import { SqliteGroupRepo } from './sqlite-group-repo.js';
import { sqliteMigrations } from './sqlite-migrations.js';
import { SqliteWechatRepo } from './sqlite-wechat-repo.js';

/**
 * Largest message batch whose WAL fsync may run on the event loop (FileSyncer). A larger batch
 * means the server is busy: its fsync goes to the thread pool, so the loop reads and writes the
 * next batch meanwhile.
 */
const LOOP_FSYNC_MAX_BATCH = 8;

/** Opens (creating if needed) the database file and its migrations. */
function openDatabase(file: string): { db: Database.Database; kysely: Kysely<unknown>; schema: SchemaManager } {
  if (file !== ':memory:') {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Created 0600 before SQLite opens it: its -wal and -shm files take the same mode.
    closeSync(openSync(file, 'a', 0o600));
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF');
  // Checkpoints run on a worker (sqlite-checkpointer.ts); this is only a safety net.
  if (file !== ':memory:') db.pragma('wal_autocheckpoint = 10000');
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: db }) });
  return { db, kysely, schema: schemaManager(new Migrator({ db: kysely, provider: { getMigrations: async () => sqliteMigrations } })) };
}

/** Opens (creating if needed) the database file and runs pending migrations (`migrate`: see storage/schema.ts). */
export async function openSqliteStorage(
  file: string,
  opts: { checkpoint?: CheckpointerOptions; migrate?: MigrateMode; logger?: Logger } = {},
): Promise<SqliteStorage> {
  const { db, kysely, schema } = openDatabase(file);
  try {
    await prepareSchema(schema, opts.migrate ?? 'apply', opts.logger);
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteStorage(db, kysely, file === ':memory:' ? undefined : { file, checkpoint: opts.checkpoint }, schema);
}

/** The database file's migrations alone. */
export function openSqliteSchema(file: string): OpenSchema {
  const { db, schema } = openDatabase(file);
  return {
    ...schema,
    close: async () => {
      db.close();
    },
  };
}

export class SqliteStorage implements Storage {
  readonly kind = 'sqlite';
  readonly groups: SqliteGroupRepo;
  readonly wechat: SqliteWechatRepo;
  readonly admin: KyselyAdminRepo;
  private readonly s;
  private readonly appendTx: (items: readonly NewMessage[]) => AppendResult[];
  private readonly releaseTx: (conv: string, seq: number) => string[];
  private readonly wal: FileSyncer | undefined;
  private readonly checkpointer: SqliteCheckpointer | undefined;
  private readonly syncNormal: Database.Statement;
  private readonly syncFull: Database.Statement;
  private observer: CommitObserver | undefined;
  /**
   * Message appends may overlap (each commits synchronously and their fsyncs coalesce), but a
   * second one starts during an fsync only for a backlog: a few messages written meanwhile would
   * wait for the next fsync anyway, and merged into one transaction they cost one write, not several.
   */
  readonly appendConcurrency = 16;
  readonly appendOverlapMin = 64;
  /**
   * Commit delay (group-committer.ts): under a steady stream of 2,000–4,000 msgs/s (at least 2 and
   * fewer than 4 arrivals per ms: K = 2 per ms of delay, N = 8 per ms) a batch waits up to 3 ms for
   * more messages, since each commit costs one WAL fsync and its transaction whatever its size; a
   * faster stream fills batches during the previous commit, a slower one gets no wait. Batches of a
   * stream take the thread pool for their fsync (appendMessages), so N is not tied to
   * LOOP_FSYNC_MAX_BATCH. 1 ms (K = 2, N = 8) made batches of about 6 at 3,000 msgs/s, 3 ms about 10
   * (docs/benchmarks.md, issue 15 change 16).
   */
  readonly appendDelayMs = 3;
  readonly appendDelaySiblings = 6;
  readonly appendDelayUpTo = 24;

  constructor(
    private readonly db: Database.Database,
    private readonly kysely: Kysely<unknown>,
    onDisk?: { file: string; checkpoint?: CheckpointerOptions },
    readonly schema?: SchemaManager,
  ) {
    this.wal = onDisk ? new FileSyncer(`${onDisk.file}-wal`) : undefined;
    this.checkpointer = onDisk ? new SqliteCheckpointer(onDisk.file, onDisk.checkpoint) : undefined;
    this.syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    this.syncFull = db.prepare('PRAGMA synchronous = FULL');
    this.groups = new SqliteGroupRepo(db);
    this.wechat = new SqliteWechatRepo(db);
    // Admin writes are rare: through Kysely, committed with synchronous = FULL like group writes.
    this.admin = new KyselyAdminRepo(kysely as Kysely<DbSchema>, (k, row) =>
      k
        .replaceInto('user_bans')
        .values(row)
        .execute()
        .then(() => {}),
    );
    const p = (q: string) => db.prepare(q);
    this.s = {
      convLastSeq: p('SELECT last_seq FROM conversations WHERE conv = ?').pluck(),
      insertConv: p('INSERT INTO conversations (conv, kind, last_seq, updated_at) VALUES (?, ?, 0, ?)'),
      insertMember: p('INSERT OR IGNORE INTO conv_members (user_id, conv, read_seq, joined_at) VALUES (?, ?, 0, ?)'),
      updateConv: p('UPDATE conversations SET last_seq = ?, updated_at = ? WHERE conv = ?'),
      findDup: p('SELECT * FROM messages WHERE from_user = ? AND client_msg_id = ?'),
      insertMsg: p('INSERT INTO messages (conv, seq, id, from_user, kind, body, ts, client_msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      latest: p('SELECT * FROM messages WHERE conv = ? ORDER BY seq DESC LIMIT ?'),
      before: p('SELECT * FROM messages WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?'),
      after: p('SELECT * FROM messages WHERE conv = ? AND seq > ? ORDER BY seq ASC LIMIT ?'),
      getMsg: p('SELECT * FROM messages WHERE conv = ? AND seq = ?'),
      recall: p("UPDATE messages SET body = '{}', recalled_by = ?, recalled_at = ? WHERE conv = ? AND seq = ?"),
      insertRef: p('INSERT OR IGNORE INTO media_refs (conv, seq, media_key) VALUES (?, ?, ?)'),
      refsOf: p('SELECT media_key FROM media_refs WHERE conv = ? AND seq = ?').pluck(),
      deleteRefs: p('DELETE FROM media_refs WHERE conv = ? AND seq = ?'),
      keyUsed: p('SELECT 1 FROM media_refs WHERE media_key = ? LIMIT 1').pluck(),
      getConv: p('SELECT conv, kind, last_seq, updated_at FROM conversations WHERE conv = ?'),
      membership: p(
        `SELECT c.conv, c.kind, c.last_seq, c.updated_at, m.read_seq FROM conv_members m
         JOIN conversations c ON c.conv = m.conv WHERE m.conv = ? AND m.user_id = ?`,
      ),
      listFirst: p(
        `SELECT c.conv, c.kind, c.last_seq, c.updated_at, m.read_seq FROM conv_members m
         JOIN conversations c ON c.conv = m.conv WHERE m.user_id = ?
         ORDER BY c.updated_at DESC, c.conv DESC LIMIT ?`,
      ),
      listNext: p(
        `SELECT c.conv, c.kind, c.last_seq, c.updated_at, m.read_seq FROM conv_members m
         JOIN conversations c ON c.conv = m.conv WHERE m.user_id = ?
           AND (c.updated_at < ? OR (c.updated_at = ? AND c.conv < ?))
         ORDER BY c.updated_at DESC, c.conv DESC LIMIT ?`,
      ),
      markRead: p(
        `UPDATE conv_members SET read_seq = min(max(read_seq, ?), (SELECT last_seq FROM conversations WHERE conv = ?))
         WHERE conv = ? AND user_id = ? RETURNING read_seq`,
      ).pluck(),
      unread: p("SELECT count(*) FROM messages WHERE conv = ? AND seq > ? AND from_user <> ? AND kind <> 'system'").pluck(),
      getUser: p('SELECT id, nickname, avatar_url, created_at FROM users WHERE id = ?'),
      upsertUser: p(
        `INSERT INTO users (id, nickname, avatar_url, created_at, updated_at) VALUES (@id, @nickname, @avatarUrl, @now, @now)
         ON CONFLICT (id) DO UPDATE SET
           nickname = coalesce(@nicknameSet, nickname), avatar_url = coalesce(@avatarSet, avatar_url), updated_at = @now
         RETURNING id, nickname, avatar_url, created_at`,
      ),
      updateUser: p(
        `UPDATE users SET nickname = coalesce(?, nickname), avatar_url = coalesce(?, avatar_url), updated_at = ?
         WHERE id = ? RETURNING id, nickname, avatar_url, created_at`,
      ),
      insertSession: p('INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)'),
      getSession: p('SELECT * FROM sessions WHERE id = ?'),
      getSessionWithUser: p(
        `SELECT s.id, s.user_id, s.created_at, s.expires_at, s.revoked_at, u.id AS uid, u.nickname, u.avatar_url, u.created_at AS user_created_at
         FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
      ),
      revokeSession: p('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      pruneSessions: p('DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?'),
    };
    this.appendTx = db.transaction((items: readonly NewMessage[]) => this.appendInTx(items));
    this.releaseTx = db.transaction((conv: string, seq: number) => {
      const keys = this.s.refsOf.all(conv, seq) as string[];
      if (keys.length === 0) return [];
      this.s.deleteRefs.run(conv, seq);
      return keys.filter((k) => this.s.keyUsed.get(k) === undefined);
    });
  }

  private appendInTx(items: readonly NewMessage[]): AppendResult[] {
    const s = this.s;
    const results: AppendResult[] = [];
    const lastSeq = new Map<string, number>();
    const lastTs = new Map<string, number>();
    const inBatch = new Map<string, Msg>();
    for (const it of items) {
      if (it.clientMsgId !== undefined) {
        const key = `${it.from}\u0000${it.clientMsgId}`;
        const prior = inBatch.get(key) ?? this.findDuplicate(it.from, it.clientMsgId);
        if (prior) {
          results.push({ ok: true, msg: prior, duplicate: true });
          continue;
        }
      }
      let seq = lastSeq.get(it.conv);
      if (seq === undefined) {
        const found = s.convLastSeq.get(it.conv) as number | undefined;
        if (found === undefined) {
          s.insertConv.run(it.conv, convKindOf(it.conv), it.ts);
          for (const m of it.members) s.insertMember.run(m, it.conv, it.ts);
        }
        seq = found ?? 0;
      }
      seq += 1;
      s.insertMsg.run(it.conv, seq, it.id, it.from, it.kind, JSON.stringify(it.body), it.ts, it.clientMsgId ?? null);
      for (const key of it.mediaKeys ?? []) s.insertRef.run(it.conv, seq, key);
      lastSeq.set(it.conv, seq);
      lastTs.set(it.conv, it.ts);
      const msg: Msg = { id: it.id, conv: it.conv, seq, from: it.from, kind: it.kind, body: it.body, ts: it.ts };
      if (it.clientMsgId !== undefined) {
        msg.clientMsgId = it.clientMsgId;
        inBatch.set(`${it.from}\u0000${it.clientMsgId}`, msg);
      }
      results.push({ ok: true, msg, duplicate: false });
    }
    for (const [conv, seq] of lastSeq) s.updateConv.run(seq, lastTs.get(conv), conv);
    return results;
  }

  private findDuplicate(from: string, clientMsgId: string): Msg | undefined {
    const row = this.s.findDup.get(from, clientMsgId) as MessageRowDb | undefined;
    return row ? rowToMsg(row) : undefined;
  }

  /**
   * Runs a write on this thread with `synchronous = NORMAL` (frames written to the WAL,
   * no fsync), then fsyncs the WAL file before resolving: as durable as `FULL`, but the
   * fsync is shared by every write of the turn (or, on libuv's thread pool, by every write
   * made while one runs) and, on the pool, the event loop keeps serving sockets and the next
   * writes commit while the disk syncs. `onLoop` false keeps this write's fsync off the event
   * loop (a large batch: see FileSyncer), and so does a checkpoint in progress. Used by the frequent writes (message batches, read
   * state, logins); the rare ones (groups, WeChat) stay `FULL`. In WAL mode `NORMAL` still
   * syncs around checkpoints, so a checkpoint never drops frames that were not yet on disk.
   */
  private async durably<T>(write: () => T, onLoop = true): Promise<T> {
    if (!this.wal) return write();
    this.syncNormal.run();
    let result: T;
    try {
      result = write();
    } finally {
      this.syncFull.run();
    }
    // Not on the loop while a checkpoint runs: this fsync waits behind its I/O (SqliteCheckpointer.checkpointing).
    await this.wal.sync(onLoop && !this.checkpointer?.checkpointing);
    this.checkpointer?.wrote();
    return result;
  }

  appendMessages(items: readonly NewMessage[], opts?: AppendOptions): Promise<AppendResult[]> {
    // Under a stream (commit delay engaged) the loop reads the next batch's messages meanwhile.
    const onLoop = items.length <= LOOP_FSYNC_MAX_BATCH && !opts?.stream;
    return this.observer ? this.observedAppend(items, this.observer, onLoop) : this.durably(() => this.appendTx(items), onLoop);
  }

  private async observedAppend(items: readonly NewMessage[], o: CommitObserver, onLoop: boolean): Promise<AppendResult[]> {
    let t1 = 0;
    const t0 = performance.now();
    const results = await this.durably(() => {
      const r = this.appendTx(items);
      t1 = performance.now();
      return r;
    }, onLoop);
    o.write(t1 - t0);
    o.durable(performance.now() - t1);
    return results;
  }

  observeCommits(o: CommitObserver): void {
    this.observer = o;
    if (this.wal) this.wal.onFsync = (ms) => o.fsync(ms);
  }

  async history(conv: string, range: { before?: number; after?: number; limit: number }) {
    const n = range.limit + 1;
    let rows: MessageRowDb[];
    if (range.after !== undefined) {
      rows = this.s.after.all(conv, range.after, n) as MessageRowDb[];
      const hasMore = rows.length > range.limit;
      if (hasMore) rows.pop();
      return { messages: rows.map(rowToMsg), hasMore };
    }
    rows = (range.before !== undefined ? this.s.before.all(conv, range.before, n) : this.s.latest.all(conv, n)) as MessageRowDb[];
    const hasMore = rows.length > range.limit;
    if (hasMore) rows.pop();
    rows.reverse();
    return { messages: rows.map(rowToMsg), hasMore };
  }

  async getMessage(conv: string, seq: number) {
    const row = this.s.getMsg.get(conv, seq) as MessageRowDb | undefined;
    return row ? rowToMsg(row) : undefined;
  }

  async recall(conv: string, seq: number, by: string, ts: number) {
    await this.durably(() => this.s.recall.run(by, ts, conv, seq));
    return this.getMessage(conv, seq);
  }

  releaseMedia(conv: string, seq: number): Promise<string[]> {
    return this.durably(() => this.releaseTx(conv, seq));
  }

  async getConversation(conv: string): Promise<ConversationRow | undefined> {
    const r = this.s.getConv.get(conv) as { conv: string; kind: string; last_seq: number; updated_at: number } | undefined;
    return r ? { conv: r.conv, kind: r.kind as 'direct' | 'group', lastSeq: r.last_seq, updatedAt: r.updated_at } : undefined;
  }

  async listForUser(userId: string, limit: number, cursor?: string) {
    const after = cursor ? decodeCursor(cursor) : null;
    const raw = (after ? this.s.listNext.all(userId, after[0], after[0], after[1], limit + 1) : this.s.listFirst.all(userId, limit + 1)) as Array<
      ConversationRowDb & { read_seq: number }
    >;
    return membershipPage(raw, limit);
  }

  async getMembership(conv: string, userId: string) {
    const r = this.s.membership.get(conv, userId) as (ConversationRowDb & { read_seq: number }) | undefined;
    return r ? rowToMembership(r) : undefined;
  }

  async markRead(conv: string, userId: string, seq: number) {
    const r = await this.durably(() => this.s.markRead.get(seq, conv, conv, userId) as number | undefined);
    return r ?? 0;
  }

  async countUnread(conv: string, userId: string, readSeq: number) {
    return this.s.unread.get(conv, readSeq, userId) as number;
  }

  /** SQLite answers in microseconds on this thread: one small query per row is the cheap shape here. */
  async summarize(userId: string, rows: readonly MembershipRow[]) {
    const out = new Map<string, ConversationSummary>();
    for (const r of rows) {
      const unread = r.lastSeq > r.readSeq ? (this.s.unread.get(r.conv, r.readSeq, userId) as number) : 0;
      const last = r.lastSeq > 0 ? (this.s.getMsg.get(r.conv, r.lastSeq) as MessageRowDb | undefined) : undefined;
      const mentioned = unread > 0 && r.kind === 'group' && (await this.groups.hasMention(r.conv, userId, r.readSeq));
      out.set(r.conv, last ? { unread, lastMessage: rowToMsg(last), mentioned } : { unread, mentioned });
    }
    return out;
  }

  async getUser(id: string) {
    const r = this.s.getUser.get(id) as UserRowDb | undefined;
    return r ? rowToUser(r) : undefined;
  }

  async getUsers(ids: readonly string[]) {
    const out = new Map<string, StoredUser>();
    for (const id of new Set(ids)) {
      const r = this.s.getUser.get(id) as UserRowDb | undefined;
      if (r) out.set(id, rowToUser(r));
    }
    return out;
  }

  async upsertUser(id: string, profile: { nickname?: string; avatarUrl?: string }) {
    const r = await this.durably(
      () =>
        this.s.upsertUser.get({
          id,
          nickname: profile.nickname ?? id,
          avatarUrl: profile.avatarUrl ?? '',
          nicknameSet: profile.nickname ?? null,
          avatarSet: profile.avatarUrl ?? null,
          now: Date.now(),
        }) as UserRowDb,
    );
    return rowToUser(r);
  }

  async updateProfile(id: string, profile: { nickname?: string; avatarUrl?: string }) {
    const r = await this.durably(() => this.s.updateUser.get(profile.nickname ?? null, profile.avatarUrl ?? null, Date.now(), id) as UserRowDb | undefined);
    return r ? rowToUser(r) : undefined;
  }

  async createSession(row: SessionRow) {
    await this.durably(() => this.s.insertSession.run(row.id, row.userId, row.createdAt, row.expiresAt));
  }

  async getSession(id: string) {
    const r = this.s.getSession.get(id) as SessionRowDb | undefined;
    return r ? rowToSession(r) : undefined;
  }

  async getSessionWithUser(id: string) {
    const r = this.s.getSessionWithUser.get(id) as SessionUserRowDb | undefined;
    return r ? sessionWithUser(r) : undefined;
  }

  async revokeSession(id: string, at: number) {
    await this.durably(() => this.s.revokeSession.run(at, id));
  }

  async pruneSessions(before: number) {
    return (await this.durably(() => this.s.pruneSessions.run(before, before))).changes;
  }

  async ping() {
    this.db.prepare('SELECT 1').get();
  }

  async close() {
    await this.checkpointer?.close();
    await this.wal?.close();
    await this.kysely.destroy();
    if (this.db.open) this.db.close();
  }
}
