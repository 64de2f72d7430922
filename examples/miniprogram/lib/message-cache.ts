/**
 * The SDK's message cache kept within WeChat's storage limits (1 MB per key, 10 MB in all): the
 * snapshot the SDK hands over is split into one key per conversation plus a small index.
 * - each conversation keeps at most `maxMessages` messages and `maxKeyBytes` bytes (oldest dropped);
 * - at most `maxConversations` conversations are kept, least recently used first out (used = the
 *   conversation was opened, or had activity);
 * - all keys together stay under `maxTotalBytes`;
 * - a refused write (the 10 MB of the whole app are shared with drafts and the login) drops the
 *   least recently used conversation and tries again; what still fails is reported through
 *   `onError` — the cache never silently stops saving.
 * The cache is never the truth: the SDK syncs with the server after every connect.
 */
import type { PersistenceAdapter, StoreSnapshot } from '@miniim/sdk/wx';
import type { AppWx } from './app-wx.js';

export interface MessageCacheOptions {
  maxConversations?: number;
  maxMessages?: number;
  maxKeyBytes?: number;
  maxTotalBytes?: number;
  /** A save that could not be completed (after evicting): log it, show it — never swallow it. */
  onError?: (errMsg: string) => void;
}

type ConvEntry = StoreSnapshot['convs'][number];

/** The index: which conversations are cached, most recently used first. */
interface CacheIndex {
  v: 1;
  me: string;
  convs: Array<{ conv: string; key: string; used: number }>;
}

const DEFAULTS = { maxConversations: 60, maxMessages: 50, maxKeyBytes: 256 * 1024, maxTotalBytes: 4 * 1024 * 1024 };

/** UTF-8 bytes of a string (what the storage limit counts, near enough). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** A storage key for a conversation id (ids are `[A-Za-z0-9_:-]`, so they can be used as they are). */
function convKey(base: string, conv: string): string {
  return `${base}:c:${conv}`;
}

/** Trims a conversation to the message and byte bounds; returns its JSON (oldest messages go first). */
export function boundedEntry(entry: ConvEntry, maxMessages: number, maxBytes: number): string | undefined {
  let messages = entry.messages.slice(-maxMessages);
  for (;;) {
    const trimmed = messages.length < entry.messages.length;
    const e: ConvEntry = { ...entry, messages, hasMoreBefore: entry.hasMoreBefore || trimmed };
    const json = JSON.stringify(e);
    if (utf8Bytes(json) <= maxBytes) return json;
    if (messages.length === 0) return undefined; // the conversation's own data is too big: not cached
    messages = messages.slice(Math.ceil(messages.length / 4));
  }
}

export class MessageCache implements PersistenceAdapter {
  /** Conversations by last use (ms), fed by `touch` and by activity in the snapshots. */
  private readonly used = new Map<string, number>();
  /** JSON last written per key, to skip unchanged conversations. */
  private readonly written = new Map<string, string>();
  private readonly opts: Required<Omit<MessageCacheOptions, 'onError'>> & Pick<MessageCacheOptions, 'onError'>;
  /** The last save problem, '' when the last save completed. */
  lastError = '';

  constructor(
    private readonly wx: AppWx,
    options: MessageCacheOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
  }

  /** The user opened a conversation: it is the last to be dropped. */
  touch(conv: string): void {
    this.used.set(conv, Date.now());
  }

  private set(key: string, data: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.wx.setStorage({ key, data, success: () => resolve(undefined), fail: (e) => resolve(e.errMsg || 'setStorage:fail') });
    });
  }

  private get(key: string): Promise<string | null> {
    return new Promise((resolve) => {
      this.wx.getStorage({
        key,
        success: (r) => resolve(typeof r.data === 'string' ? r.data : null),
        fail: () => resolve(null),
      });
    });
  }

  private drop(key: string): Promise<void> {
    this.written.delete(key);
    return new Promise((resolve) => {
      this.wx.removeStorage({ key, success: () => resolve(), fail: () => resolve() });
    });
  }

  private readIndex(base: string): CacheIndex | undefined {
    try {
      const raw = this.wx.getStorageSync(base) as unknown;
      const idx = (typeof raw === 'string' && raw ? JSON.parse(raw) : undefined) as CacheIndex | undefined;
      return idx?.v === 1 && Array.isArray(idx.convs) ? idx : undefined;
    } catch {
      return undefined;
    }
  }

  async load(base: string): Promise<string | null> {
    const idx = this.readIndex(base);
    if (!idx) return null;
    const convs: ConvEntry[] = [];
    for (const c of idx.convs) {
      const raw = await this.get(c.key);
      if (!raw) continue;
      try {
        convs.push(JSON.parse(raw) as ConvEntry);
        this.written.set(c.key, raw);
        if (!this.used.has(c.conv)) this.used.set(c.conv, c.used);
      } catch {
        // a broken entry is skipped: the server is the truth
      }
    }
    const snap: StoreSnapshot = { v: 1, me: idx.me, convs };
    return JSON.stringify(snap);
  }

  private chain: Promise<void> = Promise.resolve();

  /** Saves one snapshot after the previous save finished (saves never interleave). */
  save(base: string, value: string): Promise<void> {
    this.chain = this.chain.then(() => this.write(base, value)).catch((err: unknown) => this.opts.onError?.(String(err)));
    return this.chain;
  }

  private async write(base: string, value: string): Promise<void> {
    const snap = JSON.parse(value) as StoreSnapshot;
    for (const c of snap.convs) {
      const activity = Math.max(c.info.updatedAt ?? 0, c.info.lastMessage?.ts ?? 0);
      if (activity > (this.used.get(c.info.conv) ?? 0)) this.used.set(c.info.conv, activity);
    }
    // Most recently used first; only the first `maxConversations` are kept.
    const ranked = [...snap.convs].sort((a, b) => (this.used.get(b.info.conv) ?? 0) - (this.used.get(a.info.conv) ?? 0));
    const kept: Array<{ conv: string; key: string; json: string }> = [];
    let total = 0;
    for (const c of ranked) {
      if (kept.length >= this.opts.maxConversations) break;
      const json = boundedEntry(c, this.opts.maxMessages, this.opts.maxKeyBytes);
      if (!json) continue;
      const bytes = utf8Bytes(json);
      if (total + bytes > this.opts.maxTotalBytes) break;
      total += bytes;
      kept.push({ conv: c.info.conv, key: convKey(base, c.info.conv), json });
    }
    // Keys of conversations no longer kept go first, to make room.
    const old = this.readIndex(base);
    const keep = new Set(kept.map((k) => k.key));
    for (const c of old?.convs ?? []) if (!keep.has(c.key)) await this.drop(c.key);

    let problem = '';
    for (let i = 0; i < kept.length; i++) {
      const k = kept[i];
      if (this.written.get(k.key) === k.json) continue;
      let err = await this.set(k.key, k.json);
      // Storage full (shared with the rest of the app): drop the least recently used and retry.
      while (err && kept.length - 1 > i) {
        const last = kept.pop();
        if (last) await this.drop(last.key);
        err = await this.set(k.key, k.json);
      }
      if (err) {
        problem = err;
        kept.splice(i);
        break;
      }
      this.written.set(k.key, k.json);
    }
    const index: CacheIndex = { v: 1, me: snap.me, convs: kept.map((k) => ({ conv: k.conv, key: k.key, used: this.used.get(k.conv) ?? 0 })) };
    const err = await this.set(base, JSON.stringify(index));
    problem ||= err ?? '';
    if (problem && problem !== this.lastError) this.opts.onError?.(problem);
    this.lastError = problem;
  }

  async remove(base: string): Promise<void> {
    const idx = this.readIndex(base);
    for (const c of idx?.convs ?? []) await this.drop(c.key);
    await this.drop(base);
  }
}
