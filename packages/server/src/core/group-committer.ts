/**
 * Group commit. Rules:
 * - Idle (nothing in flight): what arrived in this event-loop turn is committed at the
 *   end of the turn (`setImmediate`), never after a timer: a lone message goes at once
 *   (only a steady stream engages the commit delay below).
 * - While a batch is in flight, the next one collects; when it completes, everything
 *   collected meanwhile is committed as one batch (at most `maxBatch`).
 * - A repository that allows it (`appendConcurrency` > 1) gets more batches in flight,
 *   but a second one starts early only once at least `appendOverlapMin` messages wait
 *   (default 1: at once). SQLite sets a high minimum: its durability waits are serial
 *   (a write made during an fsync needs the next one), so a small early batch would buy
 *   no latency, only one more transaction; a backlog is worth writing while the disk
 *   syncs. Results resolve in the order batches were taken.
 * - A repository that sets `appendDisjointConvs` gets no two batches in flight that share a
 *   conversation: a message whose conversation is in a batch in flight waits for a later
 *   batch (behind it, the messages of other conversations may go first).
 * - Commit delay (`delayMs` > 0; a repository's `appendDelayMs`, SQLite's on): when nothing is
 *   in flight and a batch would start, but the recent arrivals form a steady stream (their mean
 *   gap, an EWMA, predicts at least `delaySiblings` more messages within `delayMs`), the batch
 *   waits until `delayMs` after its oldest message or until it holds `delayUpTo` messages,
 *   whichever comes first (PostgreSQL's `commit_delay` + `commit_siblings`). A lone message,
 *   or the first after a pause, sees a long mean gap and goes at the end of its turn as above.
 *   The wait engages only in a band: it also needs the prediction below `delayUpTo / 2` (mean gap
 *   above `2 * delayMs / delayUpTo`), i.e. a wait that can at least double a small batch. A faster
 *   stream fills a batch of several messages during the previous commit itself; waiting there
 *   buys no fewer commits, only latency. A `delayMs` given without `delayUpTo` or `delaySiblings`
 *   scales the repository's ones with it (the defaults, 8 and 2, are those of a 1 ms delay), so the
 *   band stays the same range of rates on every storage.
 *   The deadline is checked by every arrival and, when arrivals stop, by one timer (ms-granular:
 *   it may end the wait up to ~1 ms late). Nothing is acked before its commit, as always. While
 *   the stream lasts (in the band or faster), batches are committed with `{ stream: true }`, so
 *   that SQLite keeps their fsync off the event loop (the loop reads the next batch meanwhile).
 */
import type { AppendOptions, AppendResult, MessageRepo, NewMessage } from '../storage/storage.js';

interface Pending {
  item: NewMessage;
  resolve: (r: AppendResult) => void;
  /** When it was appended (`performance.now()`), only with `stats` or a commit delay. */
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
  /** Called with each batch's size as its commit starts (metrics). */
  onBatch?: (size: number) => void;
  /** Called when a batch's commit ended (stored or failed), with how long it took in seconds (metrics). */
  onBatchDone?: (seconds: number) => void;
  /** Most messages in one transaction. */
  maxBatch?: number;
  /** Most batches in flight at once; defaults to the repository's `appendConcurrency`, else 1. */
  maxInFlight?: number;
  /** Smallest queue that starts a batch while another is in flight; defaults to the repository's `appendOverlapMin`, else 1. */
  overlapMin?: number;
  /** Stage timings (off when absent: no clock is read). */
  stats?: CommitterStats;
  /** No two batches in flight share a conversation; defaults to the repository's `appendDisjointConvs`. */
  disjointConvs?: boolean;
  /** Commit delay (ms; 0: off); defaults to the repository's `appendDelayMs`, else 0. */
  delayMs?: number;
  /** Batch size that ends a commit delay at once; defaults to the repository's `appendDelayUpTo`, else 8. */
  delayUpTo?: number;
  /** Messages the arrival rate must predict within `delayMs` for a batch to wait; defaults to the repository's `appendDelaySiblings`, else 2. */
  delaySiblings?: number;
}

const STREAM: AppendOptions = { stream: true };
/** Weight of the newest gap in the arrivals' mean gap (EWMA). */
const GAP_WEIGHT = 1 / 8;
/** Longest gap counted (ms): after a long idle, a new stream engages the delay after a few dozen arrivals. */
const GAP_CAP_MS = 1000;

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly running = new Set<Promise<void>>();
  private readonly onBatch: (size: number) => void;
  private readonly onBatchDone: (seconds: number) => void;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly overlapMin: number;
  private readonly stats: CommitterStats | undefined;
  /** Conversations in a batch in flight (kept only with `disjointConvs`). */
  private readonly busyConvs: Set<string> | undefined;
  private readonly delayMs: number;
  private readonly delayUpTo: number;
  /** Largest mean gap between arrivals (ms) at which a batch waits: `delayMs / delaySiblings`. */
  private readonly delayMaxGap: number;
  /** Mean gap (ms) at or below which a batch does not wait (`delayUpTo / 2` or more predicted): `2 * delayMs / delayUpTo`. */
  private readonly delayMinGap: number;
  /** Whether arrival times are read (stats or a delay). */
  private readonly clock: boolean;
  /** Mean gap between arrivals (ms, EWMA), kept only with a delay. */
  private gapMean = GAP_CAP_MS;
  private lastArrival = -GAP_CAP_MS;
  /** End of the current commit delay (`performance.now()` ms), 0 when none. */
  private waitUntil = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: MessageRepo,
    opts: GroupCommitterOptions = {},
  ) {
    this.onBatch = opts.onBatch ?? (() => {});
    this.onBatchDone = opts.onBatchDone ?? (() => {});
    this.maxBatch = opts.maxBatch ?? 2000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? repo.appendConcurrency ?? 1);
    this.overlapMin = Math.max(1, opts.overlapMin ?? repo.appendOverlapMin ?? 1);
    this.stats = opts.stats;
    if (opts.disjointConvs ?? repo.appendDisjointConvs) this.busyConvs = new Set();
    const repoDelay = repo.appendDelayMs ?? 0;
    this.delayMs = Math.max(0, opts.delayMs ?? repoDelay);
    // The band is a range of rates (K/D to N/2D messages per ms): a delay chosen by the operator keeps the
    // storage's band, its K and N scaled with it, unless those are given too. A storage with no delay of its
    // own has the default band, K = 2 and N = 8 at 1 ms (2 to 4 messages per ms).
    const scale = opts.delayMs === undefined ? 1 : this.delayMs / (repoDelay > 0 ? repoDelay : 1);
    this.delayUpTo = Math.max(1, opts.delayUpTo ?? Math.round((repo.appendDelayUpTo ?? 8) * scale));
    this.delayMaxGap = this.delayMs / Math.max(1, opts.delaySiblings ?? Math.round((repo.appendDelaySiblings ?? 2) * scale));
    this.delayMinGap = (2 * this.delayMs) / this.delayUpTo;
    this.clock = this.stats !== undefined || this.delayMs > 0;
  }

  append(item: NewMessage): Promise<AppendResult> {
    return new Promise((resolve) => {
      const at = this.clock ? performance.now() : 0;
      if (this.delayMs > 0) {
        this.gapMean += (Math.min(at - this.lastArrival, GAP_CAP_MS) - this.gapMean) * GAP_WEIGHT;
        this.lastArrival = at;
      }
      this.queue.push({ item, resolve, at });
      this.schedule();
    });
  }

  /** Whether a batch may start now (a free slot, and nothing in flight or a queue worth overlapping). */
  private mayStart(): boolean {
    const n = this.running.size;
    return n === 0 || (n < this.maxInFlight && this.queue.length >= this.overlapMin);
  }

  private schedule(): void {
    if (this.scheduled || !this.mayStart()) return;
    if (this.delayMs > 0 && this.running.size === 0 && this.waits()) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /**
   * With nothing in flight: whether the batch about to start should wait for company (commit
   * delay). Starts the wait (deadline and timer) when the arrivals form a stream; ends it once the
   * queue holds `delayUpTo` messages or the deadline has passed.
   */
  private waits(): boolean {
    const n = this.queue.length;
    if (n === 0) return false;
    if (this.waitUntil === 0) {
      if (n >= this.delayUpTo || !this.inBand()) return false;
      const now = performance.now();
      const until = this.queue[0]!.at + this.delayMs;
      if (until <= now) return false;
      this.waitUntil = until;
      // At the deadline the batch goes, even if the ms-granular timer fired a little early.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.waitUntil = 0;
        if (this.scheduled) return;
        this.scheduled = true;
        setImmediate(() => this.drain());
      }, until - now);
      return true;
    }
    if (n < this.delayUpTo && performance.now() < this.waitUntil) return true;
    this.endWait();
    return false;
  }

  /** Whether the arrivals form a stream (at least `delaySiblings` predicted within `delayMs`). */
  private streaming(): boolean {
    return this.delayMs > 0 && this.gapMean <= this.delayMaxGap;
  }

  /** Whether a stream engages the commit delay: also fewer than `delayUpTo / 2` predicted within `delayMs`. */
  private inBand(): boolean {
    return this.streaming() && this.gapMean > this.delayMinGap;
  }

  private endWait(): void {
    this.waitUntil = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || !this.mayStart()) return;
    if (this.waitUntil !== 0) this.endWait();
    const batch = this.take();
    if (batch.length === 0) return;
    const busy = this.busyConvs;
    if (busy) for (const p of batch) busy.add(p.item.conv);
    const run: Promise<void> = this.commit(batch).finally(() => {
      if (busy) for (const p of batch) busy.delete(p.item.conv);
      this.running.delete(run);
      if (this.queue.length > 0) this.schedule();
    });
    this.running.add(run);
    if (this.queue.length > 0) this.schedule();
  }

  /**
   * Takes the next batch off the queue: at most `maxBatch` messages, with `disjointConvs` only
   * those whose conversation is in no batch in flight (and none at all when fewer than
   * `overlapMin` qualify while another batch is in flight).
   */
  private take(): Pending[] {
    const busy = this.busyConvs;
    if (!busy || busy.size === 0) {
      const batch = this.queue.length > this.maxBatch ? this.queue.splice(0, this.maxBatch) : this.queue;
      if (batch === this.queue) this.queue = [];
      return batch;
    }
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.queue) {
      if (batch.length < this.maxBatch && !busy.has(p.item.conv)) batch.push(p);
      else rest.push(p);
    }
    if (batch.length < this.overlapMin) return [];
    this.queue = rest;
    return batch;
  }

  private async commit(batch: Pending[]): Promise<void> {
    this.onBatch(batch.length);
    const stats = this.stats;
    if (stats) stats.queue(performance.now() - batch[0]!.at);
    const started = performance.now();
    let results: AppendResult[];
    try {
      const items = batch.map((p) => p.item);
      results = await (this.streaming() ? this.repo.appendMessages(items, STREAM) : this.repo.appendMessages(items));
    } catch (error) {
      this.onBatchDone((performance.now() - started) / 1000);
      for (const p of batch) p.resolve({ ok: false, error: error as Error });
      return;
    }
    if (stats) stats.total(performance.now() - batch[0]!.at);
    this.onBatchDone((performance.now() - started) / 1000);
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
