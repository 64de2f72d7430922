import { ImError } from '@miniim/protocol';
import { formatBytes, type MediaQuotaConfig } from './media-config.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

interface UserUsage {
  /** Start times of upload attempts within the last minute. */
  attempts: number[];
  /** UTC day number the byte count belongs to. */
  day: number;
  bytes: number;
}

/**
 * Per-user upload rate (attempts per minute, sliding window) and byte quota
 * (per UTC day), in process memory: with several nodes each node counts its own.
 * Errors are ImError('rate_limited') with `retryAfterMs`.
 */
export class UploadLimiter {
  private readonly users = new Map<string, UserUsage>();

  constructor(
    private readonly quota: MediaQuotaConfig,
    private readonly now: () => number = Date.now,
  ) {}

  private usage(userId: string): UserUsage {
    const t = this.now();
    const day = Math.floor(t / DAY);
    let u = this.users.get(userId);
    if (!u) {
      if (this.users.size >= 10_000) this.sweep(t);
      u = { attempts: [], day, bytes: 0 };
      this.users.set(userId, u);
    }
    if (u.day !== day) {
      u.day = day;
      u.bytes = 0;
    }
    while (u.attempts.length > 0 && u.attempts[0] <= t - MINUTE) u.attempts.shift();
    return u;
  }

  private sweep(t: number): void {
    const day = Math.floor(t / DAY);
    for (const [id, u] of this.users) {
      if (u.day !== day && (u.attempts.length === 0 || u.attempts[u.attempts.length - 1] <= t - MINUTE)) {
        this.users.delete(id);
      }
    }
  }

  /** Records an upload attempt; throws rate_limited when over the per-minute rate or out of today's bytes. */
  beginUpload(userId: string): void {
    const u = this.usage(userId);
    const t = this.now();
    const perMinute = this.quota.uploadsPerMinute;
    if (perMinute > 0 && u.attempts.length >= perMinute) {
      const retry = u.attempts[u.attempts.length - perMinute] + MINUTE - t;
      throw new ImError('rate_limited', `at most ${perMinute} uploads a minute`, Math.max(1, retry));
    }
    if (this.remainingBytes(userId) <= 0) throw this.quotaError();
    u.attempts.push(t);
  }

  /** Bytes the user may still upload today (Infinity when the quota is off). */
  remainingBytes(userId: string): number {
    if (this.quota.bytesPerDay <= 0) return Number.POSITIVE_INFINITY;
    return this.quota.bytesPerDay - this.usage(userId).bytes;
  }

  /** Counts stored bytes against today's quota. */
  addBytes(userId: string, bytes: number): void {
    this.usage(userId).bytes += bytes;
  }

  /** The error for an exhausted daily quota; retry after the next UTC midnight. */
  quotaError(): ImError {
    const t = this.now();
    const retry = (Math.floor(t / DAY) + 1) * DAY - t;
    return new ImError('rate_limited', `daily upload quota of ${formatBytes(this.quota.bytesPerDay)} is used up`, Math.max(1, retry));
  }
}
