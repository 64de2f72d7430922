/**
 * Group commit: sends that arrive within one event-loop turn share one
 * transaction, and the next batch collects while one commits. A repository that
 * allows it (`appendConcurrency` > 1) gets several batches in flight: each is
 * committed in its own turn while earlier ones still wait for the disk, and their
 * durability waits share fsyncs. Results resolve in the order batches were taken.
 */
import type { AppendResult, MessageRepo, NewMessage } from '../storage/storage.js';

interface Pending {
  item: NewMessage;
  resolve: (r: AppendResult) => void;
  /** When it was appended (`performance.now()`), only with `stats`. */
  at: number;
}

/** Per-batch timings (core/commit-stats.ts), in milliseconds. */
export interface CommitterStats {
  /** Oldest message of the batch: append → start of its commit. */
  queue(ms: number): void;
  /** Oldest message of the batch: append → result. */
  total(ms: number): void;
}

export interface GroupCommitterOptions {
  /** Called with each batch's size (metrics). */
  onBatch?: (size: number) => void;
  /** Most messages in one transaction. */
  maxBatch?: number;
  /** Most batches in flight at once; defaults to the repository's `appendConcurrency`, else 1. */
  maxInFlight?: number;
  /** Stage timings (off when absent: no clock is read). */
  stats?: CommitterStats;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly running = new Set<Promise<void>>();
  private readonly onBatch: (size: number) => void;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly stats: CommitterStats | undefined;

  constructor(
    private readonly repo: MessageRepo,
    opts: GroupCommitterOptions = {},
  ) {
    this.onBatch = opts.onBatch ?? (() => {});
    this.maxBatch = opts.maxBatch ?? 2000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? repo.appendConcurrency ?? 1);
    this.stats = opts.stats;
  }

  append(item: NewMessage): Promise<AppendResult> {
    return new Promise((resolve) => {
      this.queue.push({ item, resolve, at: this.stats ? performance.now() : 0 });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running.size >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    if (this.running.size >= this.maxInFlight || this.queue.length === 0) return;
    const batch = this.queue.length > this.maxBatch ? this.queue.splice(0, this.maxBatch) : this.queue;
    if (batch === this.queue) this.queue = [];
    const run: Promise<void> = this.commit(batch).finally(() => {
      this.running.delete(run);
      if (this.queue.length > 0) this.schedule();
    });
    this.running.add(run);
    if (this.queue.length > 0) this.schedule();
  }

  private async commit(batch: Pending[]): Promise<void> {
    this.onBatch(batch.length);
    const stats = this.stats;
    if (stats) stats.queue(performance.now() - batch[0]!.at);
    let results: AppendResult[];
    try {
      results = await this.repo.appendMessages(batch.map((p) => p.item));
    } catch (error) {
      for (const p of batch) p.resolve({ ok: false, error: error as Error });
      return;
    }
    if (stats) stats.total(performance.now() - batch[0]!.at);
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
  }

  /** Resolves when everything queued so far is committed. */
  async flush(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) {
      if (this.running.size > 0) await Promise.allSettled([...this.running]);
      else this.drain();
    }
  }
}
