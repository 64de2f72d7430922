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

/** Counts the fsyncs a FileSyncer really starts, and where they ran. */
class CountingSyncer extends FileSyncer {
  fsyncs = 0;
  onLoop = 0;
  readonly events: string[] = [];
  protected override async fsyncOnce(): Promise<void> {
    const n = ++this.fsyncs;
    this.events.push(`start ${n}`);
    await super.fsyncOnce();
    this.events.push(`end ${n}`);
  }
  protected override fsyncOnLoop(): void {
    const n = ++this.fsyncs;
    this.onLoop++;
    this.events.push(`loop ${n}`);
    super.fsyncOnLoop();
  }
}

/** A syncer whose fsyncs seem to take the durations given, in turn (ms; the fsyncs themselves are real). */
class TimedSyncer extends CountingSyncer {
  private reading = 0;
  constructor(
    file: string,
    private readonly durations: number[],
    opts: ConstructorParameters<typeof FileSyncer>[1],
  ) {
    super(file, opts);
  }
  /** Two readings per fsync: its start, then its end `durations[n]` later. */
  protected override now(): number {
    const n = this.reading++;
    return n % 2 === 0 ? 0 : (this.durations[(n - 1) / 2] ?? 0);
  }
}

describe('FileSyncer', () => {
  it('coalesces callers: one fsync now, and one more for everyone who came while it ran', async () => {
    const s = new CountingSyncer(await tempFile(), { loopMaxMs: 0 });
    await Promise.all(Array.from({ length: 50 }, () => s.sync()));
    expect(s.fsyncs).toBe(2);
    await s.sync();
    expect(s.fsyncs).toBe(3);
    await s.close();
  });

  it('never lets a caller ride on an fsync that started before it called', async () => {
    const s = new CountingSyncer(await tempFile(), { loopMaxMs: 0 });
    const first = s.sync().then(() => s.events.push('first resolved'));
    const second = s.sync().then(() => s.events.push('second resolved')); // came while fsync 1 ran
    await Promise.all([first, second]);
    expect(s.events).toEqual(['start 1', 'end 1', 'first resolved', 'start 2', 'end 2', 'second resolved']);
    await s.close();
  });

  it('after enough fast fsyncs, syncs on the event loop at the end of the turn, shared by every caller of the turn', async () => {
    const s = new CountingSyncer(await tempFile(), { loopMaxMs: 1000, loopAfterFast: 2 });
    await s.sync();
    await s.sync();
    expect([s.fsyncs, s.onLoop]).toEqual([2, 0]); // the first ones learn the disk on the pool
    expect(s.onLoopNext).toBe(true);
    let resolved = 0;
    const turn = Array.from({ length: 5 }, () => s.sync().then(() => resolved++));
    expect([s.fsyncs, resolved]).toEqual([2, 0]); // nothing synced yet: it runs when the turn ends
    await Promise.all(turn);
    expect([s.fsyncs, s.onLoop, resolved]).toEqual([3, 1, 5]);
    // A caller that came after that fsync gets its own.
    await s.sync();
    expect([s.fsyncs, s.onLoop]).toEqual([4, 2]);
    await s.close();
  });

  it('sends the fsync of a turn to the thread pool when one caller of the turn does not allow the loop', async () => {
    const s = new CountingSyncer(await tempFile(), { loopMaxMs: 1000, loopAfterFast: 0 });
    await Promise.all([s.sync(), s.sync(false), s.sync()]);
    expect([s.fsyncs, s.onLoop]).toEqual([1, 0]);
    await s.sync();
    expect([s.fsyncs, s.onLoop]).toEqual([2, 1]);
    await s.close();
  });

  it('goes back to the thread pool after one slow fsync, and to the loop only after enough fast ones in a row', async () => {
    // fsync durations in order: 3 fast (pool), 1 slow (loop), 2 fast (pool), then fast on the loop again.
    const s = new TimedSyncer(await tempFile(), [1, 1, 1, 50, 1, 1, 1], { loopMaxMs: 10, loopAfterFast: 2 });
    for (let i = 0; i < 7; i++) await s.sync();
    expect(s.events.filter((e) => !e.startsWith('end'))).toEqual(['start 1', 'start 2', 'loop 3', 'loop 4', 'start 5', 'start 6', 'loop 7']);
    await s.close();
  });

  it('never syncs on the loop with loopMaxMs 0', async () => {
    const s = new CountingSyncer(await tempFile(), { loopMaxMs: 0, loopAfterFast: 0 });
    for (let i = 0; i < 5; i++) await s.sync();
    expect([s.fsyncs, s.onLoop]).toEqual([5, 0]);
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
