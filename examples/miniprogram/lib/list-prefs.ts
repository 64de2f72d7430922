/**
 * The conversation list's own choices, kept on the phone per user: pinned conversations (shown
 * first) and deleted ones (hidden until a newer message arrives; the server keeps the history).
 */
import type { AppWx } from './app-wx.js';

interface Prefs {
  pinned: string[];
  /** conv → last seq when it was deleted. */
  hidden: Record<string, number>;
}

export class ListPrefs {
  private prefs: Prefs;

  constructor(
    private readonly wx: AppWx,
    private readonly key: string,
  ) {
    this.prefs = { pinned: [], hidden: {} };
    try {
      const raw = wx.getStorageSync(key) as unknown;
      const p = (typeof raw === 'string' && raw ? JSON.parse(raw) : undefined) as Prefs | undefined;
      if (p && Array.isArray(p.pinned) && p.hidden && typeof p.hidden === 'object') this.prefs = p;
    } catch {
      // unreadable: start empty
    }
  }

  private save(): void {
    try {
      this.wx.setStorageSync(this.key, JSON.stringify(this.prefs));
    } catch (err) {
      console.warn(`miniim: list preferences not saved: ${(err as Error).message}`);
    }
  }

  isPinned(conv: string): boolean {
    return this.prefs.pinned.includes(conv);
  }

  /** Pins (most recent pin first) or unpins. */
  setPinned(conv: string, pinned: boolean): void {
    this.prefs.pinned = this.prefs.pinned.filter((c) => c !== conv);
    if (pinned) this.prefs.pinned.unshift(conv);
    this.save();
  }

  /** Position among pinned ones (-1: not pinned). */
  pinRank(conv: string): number {
    return this.prefs.pinned.indexOf(conv);
  }

  /** Hides a conversation up to `lastSeq`; a newer message shows it again. */
  hide(conv: string, lastSeq: number): void {
    this.prefs.hidden[conv] = lastSeq;
    this.prefs.pinned = this.prefs.pinned.filter((c) => c !== conv);
    this.save();
  }

  /** Whether a conversation at `lastSeq` stays hidden (a newer message un-hides it for good). */
  hidden(conv: string, lastSeq: number): boolean {
    const at = this.prefs.hidden[conv];
    if (at === undefined) return false;
    if (lastSeq > at) {
      delete this.prefs.hidden[conv];
      this.save();
      return false;
    }
    return true;
  }
}
