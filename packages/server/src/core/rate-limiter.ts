/** Token buckets keyed by string (per socket, per user). */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `ratePerSec` sustained, `burst` at most at once. */
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly enabled = true,
  ) {}

  /** Takes one token; returns 0 when allowed, else the ms to wait before retrying. */
  take(key: string, now = Date.now()): number {
    if (!this.enabled) return 0;
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
      if (this.buckets.size > 100_000) this.sweep(now);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.ratePerSec) / 1000);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 1000) / this.ratePerSec);
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }

  private sweep(now: number): void {
    const full = (this.burst * 1000) / this.ratePerSec;
    for (const [k, b] of this.buckets) if (now - b.at > full) this.buckets.delete(k);
  }
}

/**
 * A rate limit that may be shared by every node (cluster/shared-state.ts): resolves 0 when
 * allowed, else the ms to wait. Never rejects: a shared store that cannot be reached makes
 * it answer from a per-node bucket instead.
 */
export interface SharedLimiter {
  take(key: string): Promise<number>;
}

/** A per-node limiter behind the shared interface (one node, or the fallback of a shared one). */
export function localLimiter(ratePerSec: number, burst: number, enabled = true): SharedLimiter & { readonly local: RateLimiter } {
  const local = new RateLimiter(ratePerSec, burst, enabled);
  return { local, take: async (key) => local.take(key) };
}
