/** Options of the reconnect backoff. */
export interface BackoffOptions {
  /** First ceiling in ms (default 500). */
  baseMs?: number;
  /** Largest ceiling in ms (default 30 000). */
  maxMs?: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Full-jitter exponential backoff: the n-th delay is uniform in
 * [0, min(maxMs, baseMs * 2^n)) (AWS architecture blog, "Exponential Backoff And Jitter").
 */
export class Backoff {
  private attempt = 0;
  readonly baseMs: number;
  readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
  }

  /** The ceiling the next delay is drawn under. */
  ceiling(): number {
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
  }

  /** Draws the next delay and advances the attempt counter. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceiling());
    this.attempt++;
    return delay;
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
