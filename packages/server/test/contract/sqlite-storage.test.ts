import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { FileSyncer } from '../../src/storage/sqlite/file-syncer.js';
import type { CheckpointResult } from '../../src/storage/sqlite/sqlite-checkpointer.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { tempDir } from '../support/server.js';
import { sqliteAt } from '../support/sqlite-at.js';
import { storageContract } from './storage-contract.js';

storageContract('sqlite', async () => {
  const file = path.join(tempDir(), 'contract.sqlite');
  return () => openSqliteStorage(file);
});

describe('sqlite messages table', () => {
  it('keeps the messages of a database made before they moved to a rowid table (0007): order, seq, dedupe', async () => {
    const file = path.join(tempDir(), 'before-0007.db');
    const { db, close } = await sqliteAt(file, '0006_media_refs');
    db.prepare("INSERT INTO conversations (conv, kind, last_seq, updated_at) VALUES ('d:a:b', 'direct', 3, 3)").run();
    const insert = db.prepare('INSERT INTO messages (conv, seq, id, from_user, kind, body, ts, client_msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const seq of [3, 1, 2]) insert.run('d:a:b', seq, `m${seq}`, 'a', 'text', JSON.stringify({ text: `t${seq}` }), seq, `c${seq}`);
    await close();
    const storage = await openSqliteStorage(file);
    try {
      const h = await storage.history('d:a:b', { limit: 10 });
      expect(h.messages.map((m) => [m.seq, m.id, m.body])).toEqual([
        [1, 'm1', { text: 't1' }],
        [2, 'm2', { text: 't2' }],
        [3, 'm3', { text: 't3' }],
      ]);
      const msg = (id: string, clientMsgId: string) => ({
        id,
        conv: 'd:a:b',
        members: ['a', 'b'],
        from: 'a',
        kind: 'text' as const,
        body: { text: id },
        ts: 4,
        clientMsgId,
      });
      const [resent, fresh] = await storage.appendMessages([msg('m9', 'c2'), msg('m4', 'c4')]);
      expect(resent).toMatchObject({ ok: true, duplicate: true, msg: { id: 'm2', seq: 2 } });
      expect(fresh).toMatchObject({ ok: true, msg: { id: 'm4', seq: 4 } });
      expect((await storage.getMessage('d:a:b', 4))?.id).toBe('m4');
    } finally {
      await storage.close();
    }
    const after = new Database(file, { readonly: true });
    const ddl = after.prepare("SELECT sql FROM sqlite_master WHERE name = 'messages'").pluck().get() as string;
    after.close();
    expect(ddl).not.toMatch(/WITHOUT ROWID/);
  });

  it('keys the resend lookup by clientMsgId first after 0008, and a database made before it still dedupes', async () => {
    const file = path.join(tempDir(), 'before-0008.db');
    const { db, close } = await sqliteAt(file, '0007_messages_rowid');
    db.prepare("INSERT INTO conversations (conv, kind, last_seq, updated_at) VALUES ('d:a:b', 'direct', 2, 2)").run();
    const insert = db.prepare('INSERT INTO messages (conv, seq, id, from_user, kind, body, ts, client_msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run('d:a:b', 1, 'm1', 'a', 'text', '{"text":"1"}', 1, 'cx');
    insert.run('d:a:b', 2, 'm2', 'b', 'text', '{"text":"2"}', 2, 'cx');
    await close();
    const storage = await openSqliteStorage(file);
    try {
      const msg = (id: string, from: string, clientMsgId: string) => ({
        id,
        conv: 'd:a:b',
        members: ['a', 'b'],
        from,
        kind: 'text' as const,
        body: { text: id },
        ts: 3,
        clientMsgId,
      });
      const r = await storage.appendMessages([msg('m8', 'b', 'cx'), msg('m9', 'a', 'cx'), msg('m3', 'a', 'cy')]);
      expect(r.map((x) => x.ok && [x.msg.id, x.msg.seq, x.duplicate])).toEqual([
        ['m2', 2, true],
        ['m1', 1, true],
        ['m3', 3, false],
      ]);
    } finally {
      await storage.close();
    }
    const after = new Database(file);
    const columns = after.prepare("SELECT name FROM pragma_index_info('messages_dedupe') ORDER BY seqno").pluck().all();
    const plan = after
      .prepare("EXPLAIN QUERY PLAN SELECT * FROM messages WHERE from_user = 'a' AND client_msg_id = 'cx'")
      .all()
      .map((row) => (row as { detail: string }).detail);
    expect(() =>
      after
        .prepare("INSERT INTO messages (conv, seq, id, from_user, kind, body, ts, client_msg_id) VALUES ('d:a:b', 9, 'm99', 'a', 'text', '{}', 9, 'cy')")
        .run(),
    ).toThrow(/UNIQUE/);
    after.close();
    expect(columns).toEqual(['client_msg_id', 'from_user']);
    expect(plan.join(' ')).toMatch(/USING INDEX messages_dedupe/);
  });

  it('logs the migrations it applies at open, before they start and once done, and nothing when none is pending', async () => {
    const file = path.join(tempDir(), 'log-0007.db');
    const { close } = await sqliteAt(file, '0006_media_refs');
    await close();
    const lines: { msg: string; pending?: string[]; applied?: string[]; ms?: number }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logger = createLogger('info', sink);
    await (await openSqliteStorage(file, { logger })).close();
    expect(lines.map((l) => l.msg)).toEqual(['applying database migrations', 'database migrations applied']);
    expect(lines[0]?.pending).toEqual(['0007_messages_rowid', '0008_dedupe_by_client_id']);
    expect(lines[1]?.applied).toEqual(['0007_messages_rowid', '0008_dedupe_by_client_id']);
    expect(lines[1]?.ms).toBeGreaterThanOrEqual(0);
    lines.length = 0;
    await (await openSqliteStorage(file, { logger })).close();
    expect(lines).toEqual([]);
  });
});

describe('sqlite durability settings', () => {
  it('lets the WAL fsync of a small batch run on the event loop, never that of a batch over 8 messages', async () => {
    const storage = await openSqliteStorage(path.join(tempDir(), 'loop.sqlite'));
    const calls: boolean[] = [];
    const sync = FileSyncer.prototype.sync;
    const spy = vi.spyOn(FileSyncer.prototype, 'sync').mockImplementation(function (this: FileSyncer, onLoop?: boolean) {
      calls.push(onLoop ?? true);
      return sync.call(this, onLoop);
    });
    try {
      const batch = (n: number, at: number) =>
        Array.from({ length: n }, (_, i) => ({
          id: `m${at + i}`,
          conv: 'd:a:b',
          members: ['a', 'b'],
          from: 'a',
          kind: 'text' as const,
          body: { text: '' },
          ts: 0,
        }));
      await storage.appendMessages(batch(1, 0));
      await storage.appendMessages(batch(8, 1));
      await storage.appendMessages(batch(9, 9));
      await storage.markRead('d:a:b', 'b', 3);
      expect(calls).toEqual([true, true, false, true]);
    } finally {
      spy.mockRestore();
      await storage.close();
    }
  });

  it('keeps the WAL fsync off the event loop while a checkpoint runs, and lets it back once the checkpoint is done', async () => {
    let checkpoints = 0;
    const storage = await openSqliteStorage(path.join(tempDir(), 'ckpt.sqlite'), {
      checkpoint: { thresholdBytes: 1, checkEvery: 1, onCheckpoint: () => void checkpoints++ },
    });
    const calls: boolean[] = [];
    const sync = FileSyncer.prototype.sync;
    const spy = vi.spyOn(FileSyncer.prototype, 'sync').mockImplementation(function (this: FileSyncer, onLoop?: boolean) {
      calls.push(onLoop ?? true);
      return sync.call(this, onLoop);
    });
    const ckpt = (storage as unknown as { checkpointer: { checkpointing: boolean } }).checkpointer;
    const one = (i: number) => [{ id: `c${i}`, conv: 'd:a:b', members: ['a', 'b'], from: 'a', kind: 'text' as const, body: { text: '' }, ts: 0 }];
    try {
      await storage.appendMessages(one(0)); // its write starts the first checkpoint (and the worker)
      await vi.waitFor(() => expect(ckpt.checkpointing).toBe(true), { interval: 1 });
      await storage.appendMessages(one(1));
      await vi.waitFor(() => expect(checkpoints).toBeGreaterThan(0));
      expect(ckpt.checkpointing).toBe(false);
      await storage.appendMessages(one(2));
      expect(calls).toEqual([true, false, true]);
    } finally {
      spy.mockRestore();
      await storage.close();
    }
  });

  it('commits appends with the WAL fsynced off-thread, and leaves synchronous = FULL for every other write', async () => {
    const file = path.join(tempDir(), 'durability.sqlite');
    const storage = await openSqliteStorage(file);
    const db = (storage as unknown as { db: { pragma(q: string, o: { simple: true }): unknown } }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        storage.appendMessages([{ id: `m${i}`, conv: 'd:a:b', members: ['a', 'b'], from: 'a', kind: 'text', body: { text: `${i}` }, ts: i }]),
      ),
    );
    expect(results.flat().map((r) => r.ok && r.msg.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    await storage.close();
    const reopened = await openSqliteStorage(file);
    expect((await reopened.history('d:a:b', { limit: 50 })).messages).toHaveLength(20);
    await reopened.close();
  });
});

describe('sqlite checkpoints on a worker thread', () => {
  it('copies the WAL back into the database off the event loop, and nothing is lost', async () => {
    const file = path.join(tempDir(), 'checkpoint.sqlite');
    const seen: CheckpointResult[] = [];
    const storage = await openSqliteStorage(file, { checkpoint: { thresholdBytes: 1, checkEvery: 5, onCheckpoint: (r) => seen.push(r) } });
    const db = (storage as unknown as { db: { pragma(q: string, o: { simple: true }): unknown } }).db;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10000); // only a safety net
    for (let i = 0; i < 60; i++) {
      await storage.appendMessages([{ id: `m${i}`, conv: 'd:a:b', members: ['a', 'b'], from: 'a', kind: 'text', body: { text: 'x'.repeat(500) }, ts: i }]);
    }
    const deadline = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toMatchObject({ ok: true });
    expect(seen.some((r) => (r.checkpointed ?? 0) > 0)).toBe(true);
    await storage.close();
    const reopened = await openSqliteStorage(file);
    expect((await reopened.history('d:a:b', { limit: 100 })).messages.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    await reopened.close();
  });
});
