import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite-storage.js';
import { tempDir } from '../support/server.js';
import { storageContract } from './storage-contract.js';

storageContract('sqlite', () => openSqliteStorage(path.join(tempDir(), 'contract.sqlite')));

describe('sqlite durability settings', () => {
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
