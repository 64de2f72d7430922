import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSyncer } from '../../src/storage/sqlite/file-syncer.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'miniim-sync-'));
  dirs.push(dir);
  const file = path.join(dir, 'db-wal');
  await writeFile(file, 'frames');
  return file;
}

/** Counts the fsyncs a FileSyncer really starts. */
class CountingSyncer extends FileSyncer {
  fsyncs = 0;
  readonly events: string[] = [];
  protected override async fsyncOnce(): Promise<void> {
    const n = ++this.fsyncs;
    this.events.push(`start ${n}`);
    await super.fsyncOnce();
    this.events.push(`end ${n}`);
  }
}

describe('FileSyncer', () => {
  it('coalesces callers: one fsync now, and one more for everyone who came while it ran', async () => {
    const s = new CountingSyncer(await tempFile());
    await Promise.all(Array.from({ length: 50 }, () => s.sync()));
    expect(s.fsyncs).toBe(2);
    await s.sync();
    expect(s.fsyncs).toBe(3);
    await s.close();
  });

  it('never lets a caller ride on an fsync that started before it called', async () => {
    const s = new CountingSyncer(await tempFile());
    const first = s.sync().then(() => s.events.push('first resolved'));
    const second = s.sync().then(() => s.events.push('second resolved')); // came while fsync 1 ran
    await Promise.all([first, second]);
    expect(s.events).toEqual(['start 1', 'end 1', 'first resolved', 'start 2', 'end 2', 'second resolved']);
    await s.close();
  });

  it('rejects when the file cannot be opened, and tries again on the next call', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'miniim-sync-')), 'missing-wal');
    dirs.push(path.dirname(file));
    const s = new FileSyncer(file);
    await expect(s.sync()).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(file, 'now it exists');
    await expect(s.sync()).resolves.toBeUndefined();
    await s.close();
  });
});
