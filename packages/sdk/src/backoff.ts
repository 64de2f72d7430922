/** Options of the reconnect backoff. */
export interface BackoffOptions {
  /** First ceiling in ms (default 500). */
  baseMs?: number;
  /** Largest ceiling in ms while the app is in the background or hidden (default 30 000). */
  maxMs?: number;
  /** Largest ceiling in ms while the app is in front (default 5 000, never above `maxMs`). */
  foregroundMaxMs?: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Full-jitter exponential backoff: the n-th delay is uniform in
 * [0, min(cap, baseMs * 2^n)) (AWS architecture blog, "Exponential Backoff And Jitter").
 * The cap is lower while the app is in front, where a user is waiting.
 */
export class Backoff {
  private attempt = 0;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly foregroundMaxMs: number;
  /** Whether the app is in front (the lower cap applies). */
  foreground = true;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.foregroundMaxMs = Math.min(this.maxMs, options.foregroundMaxMs ?? 5_000);
    this.random = options.random ?? Math.random;
  }

  /** The cap in force now. */
  get capMs(): number {
    return this.foreground ? this.foregroundMaxMs : this.maxMs;
  }

  /** The ceiling the next delay is drawn under. */
  ceiling(): number {
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
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
