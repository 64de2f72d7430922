import type { CreditStore, NotifyThrottle } from '../storage/wechat-stores.js';

/** In-process CreditStore (tests, single node without storage). */
export class MemoryCreditStore implements CreditStore {
  private readonly credits = new Map<string, Map<string, number>>();

  async add(userId: string, templateId: string, count: number): Promise<number> {
    const user = this.user(userId);
    const n = (user.get(templateId) ?? 0) + count;
    user.set(templateId, n);
    return n;
  }

  async consume(userId: string, templateId: string): Promise<boolean> {
    const user = this.user(userId);
    const n = user.get(templateId) ?? 0;
    if (n <= 0) return false;
    if (n === 1) user.delete(templateId);
    else user.set(templateId, n - 1);
    return true;
  }

  async drop(userId: string, templateId: string): Promise<void> {
    this.credits.get(userId)?.delete(templateId);
  }

  async list(userId: string): Promise<Record<string, number>> {
    return Object.fromEntries(this.credits.get(userId) ?? []);
  }

  private user(userId: string): Map<string, number> {
    let m = this.credits.get(userId);
    if (!m) {
      m = new Map();
      this.credits.set(userId, m);
    }
    return m;
  }
}

/** In-process NotifyThrottle. */
export class MemoryNotifyThrottle implements NotifyThrottle {
  private readonly last = new Map<string, number>();

  async claim(userId: string, conv: string, windowMs: number, now: number): Promise<boolean> {
    const key = `${userId}\n${conv}`;
    const prev = this.last.get(key);
    if (prev !== undefined && now - prev < windowMs) return false;
    this.last.set(key, now);
    if (this.last.size > 100_000) this.prune(windowMs, now);
    return true;
  }

  async release(userId: string, conv: string): Promise<void> {
    this.last.delete(`${userId}\n${conv}`);
  }

  private prune(windowMs: number, now: number): void {
    for (const [k, t] of this.last) if (now - t >= windowMs) this.last.delete(k);
  }
}
