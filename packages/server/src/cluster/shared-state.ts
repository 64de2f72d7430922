/**
 * State that several nodes must share beyond message delivery: rate limits, the per-user
 * socket cap, short-lived values (a WeChat access token) and locks. One node keeps it in
 * memory (LocalSharedState); a cluster keeps it in Redis (redis-shared-state.ts), and falls
 * back to per-node answers while Redis is unreachable — a Redis outage never refuses service.
 */
import { localLimiter, type SharedLimiter } from '../core/rate-limiter.js';

/** Where a user's sockets are counted against the cap (`maxSocketsPerUser`) across nodes. */
export interface SocketLedger {
  /**
   * Records a socket opened on this node; resolves with the session ids, on any node, that
   * are now over the cap (oldest first) and must be closed with 4409. Those ids are already
   * struck from the ledger. Resolves [] when the ledger cannot be reached (the node's own
   * cap still holds).
   */
  opened(userId: string, sessionId: string, openedAt: number): Promise<string[]>;
  /** Records a socket closed on this node. */
  closed(userId: string, sessionId: string): void;
  /** Writes this node's open sockets again (after the shared store lost or missed them). */
  reassert(sockets: Iterable<{ userId: string; sessionId: string; openedAt: number }>): Promise<void>;
}

/** A lock held until released or until its time to live runs out. */
export interface SharedLock {
  release(): Promise<void>;
}

/** Short-lived values and locks shared by every node. */
export interface SharedValues {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Deletes the key only while it still holds `value` (compare-and-delete). */
  deleteIf(key: string, value: string): Promise<void>;
  /** Takes the lock, or resolves undefined when another holder has it. Rejects when the store is unreachable. */
  lock(key: string, ttlMs: number): Promise<SharedLock | undefined>;
}

export interface SharedState {
  readonly kind: 'local' | 'redis';
  /** A token bucket (`ratePerSec` sustained, `burst` at once) shared by every node under `name`. */
  limiter(name: string, ratePerSec: number, burst: number, enabled?: boolean): SharedLimiter;
  readonly sockets: SocketLedger;
  readonly values: SharedValues;
  close(): Promise<void>;
}

/** One node: everything in memory; the gateway's own cap is the whole cap. */
export class LocalSharedState implements SharedState {
  readonly kind = 'local';
  readonly sockets: SocketLedger = {
    opened: async () => [],
    closed: () => {},
    reassert: async () => {},
  };
  readonly values: SharedValues = new MemoryValues();

  limiter(_name: string, ratePerSec: number, burst: number, enabled = true): SharedLimiter {
    return localLimiter(ratePerSec, burst, enabled);
  }

  async close(): Promise<void> {}
}

/** Process-local values with expiry, and locks (one node's single-flight). */
export class MemoryValues implements SharedValues {
  private readonly map = new Map<string, { value: string; until: number }>();

  async get(key: string): Promise<string | undefined> {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.until <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.map.set(key, { value, until: Date.now() + ttlMs });
  }

  async deleteIf(key: string, value: string): Promise<void> {
    if (this.map.get(key)?.value === value) this.map.delete(key);
  }

  async lock(key: string, ttlMs: number): Promise<SharedLock | undefined> {
    const k = `lock:${key}`;
    if ((await this.get(k)) !== undefined) return undefined;
    const mine = `${Math.random()}`;
    await this.set(k, mine, ttlMs);
    return { release: () => this.deleteIf(k, mine) };
  }
}
