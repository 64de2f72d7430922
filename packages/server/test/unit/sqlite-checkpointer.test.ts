import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type CheckpointResult, SqliteCheckpointer } from '../../src/storage/sqlite/sqlite-checkpointer.js';

describe('SqliteCheckpointer', () => {
  it('starts no worker thread until the WAL first needs a checkpoint (an idle node does not pay for it)', async () => {
    const c = new SqliteCheckpointer('/nonexistent-miniim-dir/db.sqlite', { thresholdBytes: 0, checkEvery: 3 });
    const worker = () => (c as unknown as { worker: unknown }).worker;
    c.wrote();
    c.wrote();
    expect(worker()).toBeUndefined();
    c.wrote(); // the third write looks at the WAL: past the threshold, a checkpoint starts the worker
    const deadline = Date.now() + 5000;
    while (worker() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(worker()).toBeDefined();
    await c.close();
  });

  it('reports a worker that cannot open the database, without taking the process down, and closes', async () => {
    const seen: CheckpointResult[] = [];
    const c = new SqliteCheckpointer('/nonexistent-miniim-dir/db.sqlite', { thresholdBytes: 0, checkEvery: 1, onCheckpoint: (r) => seen.push(r) });
    c.wrote();
    const deadline = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen[0]).toMatchObject({ ok: false });
    expect(seen[0].error).toMatch(/directory|open/i);
    await c.close();
  });

  it('settles a checkpoint whose worker exits before answering, and the next look starts a new worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniim-ckpt-'));
    const file = join(dir, 'db.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x TEXT)');
    db.prepare('INSERT INTO t VALUES (?)').run('a');
    const seen: CheckpointResult[] = [];
    const c = new SqliteCheckpointer(file, { thresholdBytes: 0, checkEvery: 1, onCheckpoint: (r) => seen.push(r) });
    const inner = c as unknown as { worker: { terminate(): Promise<number> } | undefined };
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (seen.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    c.wrote(); // looks at the WAL (async stat), then starts the worker and asks for a checkpoint
    const deadline = Date.now() + 5000;
    while (inner.worker === undefined && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(c.checkpointing).toBe(true);
    await inner.worker?.terminate(); // the thread dies before it answers: no message, no error event
    await waitFor(1);
    expect(seen[0]).toMatchObject({ ok: false });
    expect(seen[0].error).toMatch(/exited/);
    expect(c.checkpointing).toBe(false);
    c.wrote(); // not stuck: the next look checkpoints through a new worker
    await waitFor(2);
    expect(seen[1]).toMatchObject({ ok: true });
    await c.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
