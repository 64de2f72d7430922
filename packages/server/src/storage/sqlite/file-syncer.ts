/**
 * fsync of one file off the main thread (libuv's thread pool), with callers
 * coalesced: `sync()` resolves once an fsync that *started after the call* has
 * finished, so whatever was written before the call is on disk. While one fsync
 * runs, every caller that arrives shares the single next one.
 */
import { fdatasync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

export class FileSyncer {
  private handle: Promise<FileHandle> | undefined;
  private current: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** Told how long each fsync took (ms), when set (metrics). */
  onFsync: ((ms: number) => void) | undefined;

  constructor(private readonly file: string) {}

  sync(): Promise<void> {
    if (!this.current) return this.start();
    if (!this.queued) {
      const next = () => {
        this.queued = null;
        return this.start();
      };
      this.queued = this.current.then(next, next);
    }
    return this.queued;
  }

  private start(): Promise<void> {
    const run: Promise<void> = this.fsyncOnce().finally(() => {
      if (this.current === run) this.current = null;
    });
    this.current = run;
    return run;
  }

  /** One fsync of the file (opened on first use). */
  protected async fsyncOnce(): Promise<void> {
    this.handle ??= open(this.file, 'r');
    const h = await this.handle.catch((e) => {
      this.handle = undefined; // the next call tries to open again
      throw e;
    });
    const t0 = this.onFsync ? performance.now() : 0;
    // data, and the size when it grew: what SQLite itself uses on Linux. The callback form on the raw
    // descriptor: FileHandle.datasync() adds a promise, a request wrapper and ref/unref per call.
    await new Promise<void>((resolve, reject) => fdatasync(h.fd, (err) => (err ? reject(err) : resolve())));
    this.onFsync?.(performance.now() - t0);
  }

  /** Waits for any fsync in flight and closes the file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.current, this.queued]);
    const h = this.handle;
    this.handle = undefined;
    if (h) await (await h.catch(() => undefined))?.close();
  }
}
