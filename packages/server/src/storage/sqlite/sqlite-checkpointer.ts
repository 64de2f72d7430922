/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the
 * commit that crosses the threshold, on the thread that commits, and fsyncs both the
 * WAL and the database file there: a stall of several milliseconds on the event loop
 * every megabyte or so of messages (the p99 of delivery). Instead, the main connection's
 * automatic checkpoint is pushed far out (a safety net), and a worker thread with its own
 * connection, started when the WAL first needs a checkpoint, runs `wal_checkpoint(PASSIVE)` whenever a look at
 * the WAL finds it past `thresholdBytes`. A passive checkpoint never blocks writers; once
 * every frame is copied back, the next write starts the WAL from the top again.
 */
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker: plain CommonJS, run with `eval`, so it needs no TypeScript loader. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message || e) });
  }
});
`;

export interface CheckpointResult {
  ok: boolean;
  /** WAL frames, and how many of them are now in the database file. */
  log?: number;
  checkpointed?: number;
  error?: string;
  /** How long it took, from the request to the worker's answer (ms). */
  ms?: number;
}

export interface CheckpointerOptions {
  /** WAL size that triggers a checkpoint (default 4 MiB, SQLite's own default is ~4 MiB too). */
  thresholdBytes?: number;
  /** Writes between two looks at the WAL size (default 200). */
  checkEvery?: number;
  /** Told about every checkpoint (logs, tests). */
  onCheckpoint?: (r: CheckpointResult) => void;
}

export class SqliteCheckpointer {
  private worker: Worker | undefined;
  private writes = 0;
  private busy = false;
  private running = false;
  private closed = false;
  private readonly thresholdBytes: number;
  private readonly checkEvery: number;

  constructor(
    private readonly dbFile: string,
    private readonly opts: CheckpointerOptions = {},
  ) {
    this.thresholdBytes = opts.thresholdBytes ?? 4 * 1024 * 1024;
    this.checkEvery = opts.checkEvery ?? 200;
    // Started by the first checkpoint the WAL needs (past `thresholdBytes`), not now: the thread and
    // its heap cost about 9 MB of RSS, which an idle node or a quiet one never has to pay.
  }

  /**
   * Whether a checkpoint is running now: it writes pages into the database file and fsyncs it, and a
   * WAL fsync meanwhile waits behind that I/O (here 2-6x its usual time), so it should not block the event loop.
   */
  get checkpointing(): boolean {
    return this.running;
  }

  /** Called after each durable write; now and then looks at the WAL size. */
  wrote(): void {
    if (++this.writes < this.checkEvery || this.busy || this.closed) return;
    this.writes = 0;
    this.busy = true;
    void this.maybeCheckpoint().finally(() => {
      this.busy = false;
    });
  }

  private async maybeCheckpoint(): Promise<void> {
    const size = await stat(`${this.dbFile}-wal`).then(
      (s) => s.size,
      () => 0,
    );
    if (size < this.thresholdBytes || this.closed) return;
    const result = await this.run();
    this.opts.onCheckpoint?.(result);
  }

  private run(): Promise<CheckpointResult> {
    const w = this.start();
    this.running = true;
    const t0 = performance.now();
    return new Promise((resolve) => {
      // Settles on the worker's answer, its error, or its exit without either (terminated, or its
      // thread died): a checkpoint that never settles would stop every later one and keep the WAL fsync
      // off the event loop for good.
      const settle = (r: CheckpointResult) => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        this.running = false;
        resolve({ ...r, ms: performance.now() - t0 });
      };
      const onMessage = (r: CheckpointResult) => settle(r);
      const onError = (e: Error) => settle({ ok: false, error: e.message });
      const onExit = (code: number) => settle({ ok: false, error: `checkpoint worker exited (code ${code})` });
      w.once('message', onMessage);
      w.once('error', onError);
      w.once('exit', onExit);
      w.postMessage('checkpoint');
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: this.dbFile } });
    w.unref();
    // A worker that fails is dropped (the next look starts another); it never takes the server down.
    w.on('error', () => {
      if (this.worker === w) this.worker = undefined;
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
    });
    this.worker = w;
    return w;
  }

  /** Stops the worker (after the checkpoint in flight, if any). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    await new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      // The worker is unref'd while it runs; its exit is what this close waits for, so it must keep the
      // event loop alive until then (in a script with nothing else pending, Node would otherwise end the
      // process with this close still pending, before the database itself is closed).
      w.ref();
      w.postMessage('close');
      // Should the worker be stuck, do not hold the shutdown for it.
      setTimeout(() => void w.terminate(), 5000).unref();
    });
  }
}
