/**
 * fsync of one file with callers coalesced: `sync()` resolves once an fsync that *started after
 * the call* has finished, so whatever was written before the call is on disk.
 *
 * Where the fsync runs:
 * - On libuv's thread pool: the event loop keeps serving sockets (and writing the next batch)
 *   while the disk syncs; every caller that arrives meanwhile shares the single next fsync.
 * - On the event loop, at the end of the turn (`setImmediate`; every caller of the turn shares
 *   it): no hand-off to a pool thread and back (a futex wake of the pool thread, an eventfd wake
 *   of the loop and their context switches, ~12–16 µs of CPU per fsync on a 2-core VM, about a
 *   sixth of a message's server CPU at light load, where nearly every message is its own fsync).
 *   Used only while (1) every caller of the turn allows it (`sync(false)`: a large write, whose
 *   successor is worth preparing while the disk syncs), (2) no fsync runs on the pool, and
 *   (3) the disk is fast: the last `loopAfterFast` fsyncs each took ≤ `loopMaxMs`. One slower
 *   fsync (a busy or stalled disk) sends the next ones back to the pool until that many fast ones
 *   in a row, so a slow disk never holds the loop for more than the one fsync that revealed it.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

export interface FileSyncerOptions {
  /** Longest fsync (ms) that counts as fast; 0 keeps every fsync on the thread pool. Default 2. */
  loopMaxMs?: number;
  /** Fast fsyncs in a row (counted on the pool too) before one runs on the event loop. Default 32. */
  loopAfterFast?: number;
}

/** The fsync at the end of this turn, on the loop, and its callers' promise. */
interface LoopTurn {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  /** A caller of the turn did not allow the loop: it goes to the pool instead. */
  pool: boolean;
}

export class FileSyncer {
  private fd: number | undefined;
  private current: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private turn: LoopTurn | null = null;
  private fastInRow = 0;
  private readonly loopMaxMs: number;
  private readonly loopAfterFast: number;
  /** Told how long each fsync took (ms), when set (metrics). */
  onFsync: ((ms: number) => void) | undefined;

  constructor(
    private readonly file: string,
    opts: FileSyncerOptions = {},
  ) {
    this.loopMaxMs = opts.loopMaxMs ?? 2;
    this.loopAfterFast = opts.loopAfterFast ?? 32;
  }

  /** `onLoop` false: this caller's fsync must not block the event loop (a large write). */
  sync(onLoop = true): Promise<void> {
    if (this.turn) {
      if (!onLoop) this.turn.pool = true;
      return this.turn.promise;
    }
    if (this.current) {
      if (!this.queued) {
        const next = () => {
          this.queued = null;
          return this.start();
        };
        this.queued = this.current.then(next, next);
      }
      return this.queued;
    }
    if (onLoop && this.loopMaxMs > 0 && this.fastInRow >= this.loopAfterFast) return this.endOfTurn();
    return this.start();
  }

  /** Whether the next fsync may run on the event loop (tests, diagnostics). */
  get onLoopNext(): boolean {
    return this.loopMaxMs > 0 && this.fastInRow >= this.loopAfterFast;
  }

  private endOfTurn(): Promise<void> {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const turn: LoopTurn = { promise, resolve, reject, pool: false };
    this.turn = turn;
    setImmediate(() => {
      this.turn = null;
      if (turn.pool) {
        this.start().then(turn.resolve, turn.reject);
        return;
      }
      try {
        this.fsyncOnLoop();
        turn.resolve();
      } catch (e) {
        turn.reject(e);
      }
    });
    return promise;
  }

  private start(): Promise<void> {
    const run: Promise<void> = this.fsyncOnce().finally(() => {
      if (this.current === run) this.current = null;
    });
    this.current = run;
    return run;
  }

  /** The file's descriptor, opened on first use (a failed open is tried again on the next call). */
  private open(): number {
    this.fd ??= openSync(this.file, 'r');
    return this.fd;
  }

  /** Counts an fsync's duration towards the loop rule; a failed one counts as slow. */
  private took(ms: number): void {
    this.fastInRow = ms <= this.loopMaxMs ? this.fastInRow + 1 : 0;
    this.onFsync?.(ms);
  }

  /** One fsync on the event loop (blocks it for the fsync's duration). */
  protected fsyncOnLoop(): void {
    const fd = this.open();
    const t0 = this.now();
    try {
      fdatasyncSync(fd);
    } catch (e) {
      this.fastInRow = 0;
      throw e;
    }
    this.took(this.now() - t0);
  }

  /** One fsync on the thread pool. */
  protected async fsyncOnce(): Promise<void> {
    const fd = this.open();
    const t0 = this.now();
    // data, and the size when it grew: what SQLite itself uses on Linux. The callback form on the raw
    // descriptor: FileHandle.datasync() adds a promise, a request wrapper and ref/unref per call.
    await new Promise<void>((resolve, reject) =>
      fdatasync(fd, (err) => {
        if (!err) return resolve();
        this.fastInRow = 0;
        reject(err);
      }),
    );
    this.took(this.now() - t0);
  }

  /** The clock fsyncs are timed with (ms). */
  protected now(): number {
    return performance.now();
  }

  /** Waits for any fsync in flight and closes the file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.turn?.promise, this.current, this.queued]);
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }
}
