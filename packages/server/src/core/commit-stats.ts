/**
 * Per-stage timings of the message commit path, as Prometheus histograms (off by default;
 * `MINIIM_COMMIT_STATS=on`). Per batch, never per message: a few `performance.now()` calls
 * and observations for each transaction. Stages: queue (oldest message of the batch, from
 * `append` to the start of its commit), write (the transaction, on the event loop), durable
 * (end of the write until the WAL is on disk: waiting for an fsync in flight, then one's
 * own), fsync (one `fdatasync`, thread-pool hop included), total (append → result).
 */
import { Histogram, type Registry } from 'prom-client';
import type { CommitObserver } from '../storage/storage.js';

const BUCKETS_MS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 100, 200, 500, 1000];

export class CommitStats implements CommitObserver {
  private readonly queueH: Histogram;
  private readonly writeH: Histogram;
  private readonly durableH: Histogram;
  private readonly fsyncH: Histogram;
  private readonly totalH: Histogram;

  constructor(registry: Registry) {
    const h = (stage: string, help: string) =>
      new Histogram({ name: `miniim_commit_${stage}_seconds`, help, buckets: BUCKETS_MS.map((ms) => ms / 1000), registers: [registry] });
    this.queueH = h('queue', 'Per batch: oldest message from append to the start of its commit');
    this.writeH = h('write', 'Per batch: the transaction on the event loop');
    this.durableH = h('durable', 'Per batch: end of the write until the log is on disk');
    this.fsyncH = h('fsync', 'One fsync of the write-ahead log (thread-pool hop included)');
    this.totalH = h('total', 'Per batch: oldest message from append to its result');
  }

  queue(ms: number): void {
    this.queueH.observe(ms / 1000);
  }
  write(ms: number): void {
    this.writeH.observe(ms / 1000);
  }
  durable(ms: number): void {
    this.durableH.observe(ms / 1000);
  }
  fsync(ms: number): void {
    this.fsyncH.observe(ms / 1000);
  }
  total(ms: number): void {
    this.totalH.observe(ms / 1000);
  }
}
