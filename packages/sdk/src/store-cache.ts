import type { PersistenceAdapter } from './persistence.js';
import type { ConversationStore, StoreSnapshot } from './store.js';

/**
 * The store's cache per user (`localStorage`, `wx.setStorage`, …): loaded once before the first
 * sync, saved at most every 500 ms after a change. A cache, never the truth: a broken one is ignored.
 */
export class StoreCache {
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private restored = false;

  constructor(
    private readonly store: ConversationStore,
    private readonly persistence: PersistenceAdapter | undefined,
  ) {}

  /** Loads the current user's snapshot once; true when it changed the store. */
  async restore(): Promise<boolean> {
    const me = this.store.me;
    if (!this.persistence || !me || this.restored) return false;
    this.restored = true;
    try {
      const raw = await this.persistence.load(key(me));
      return !!raw && this.store.restore(JSON.parse(raw) as StoreSnapshot);
    } catch {
      return false; // a broken cache is ignored: the server is the truth
    }
  }

  /** Another account: the next `restore()` loads its snapshot. */
  forgetRestored(): void {
    this.restored = false;
  }

  scheduleSave(): void {
    const p = this.persistence;
    if (!p || !this.store.me || this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      const me = this.store.me;
      if (me) void Promise.resolve(p.save(key(me), JSON.stringify(this.store.snapshot()))).catch(() => {});
    }, 500);
  }

  /** Stops pending saves and deletes the user's snapshot (logout). */
  async remove(userId: string | undefined): Promise<void> {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (userId) await this.persistence?.remove?.(key(userId));
  }
}

function key(userId: string): string {
  return `miniim:cache:${userId}`;
}
