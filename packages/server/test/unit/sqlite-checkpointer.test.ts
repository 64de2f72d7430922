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
});
