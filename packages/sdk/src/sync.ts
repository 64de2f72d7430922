import type { ConvsReplyFrame, HistoryReplyFrame, Msg } from '@miniim/protocol';
import type { ClientMessage, ConversationStore } from './store.js';

/** What the sync needs from the client. */
export interface SyncDeps {
  store: ConversationStore;
  request<T>(frame: Record<string, unknown>): Promise<T>;
  /** Messages were added to a conversation. */
  added(conv: string, messages: ClientMessage[]): void;
  /** The conversation list changed. */
  listChanged(): void;
}

const PAGE = 100;
const MAX_CONV_PAGES = 50;

/**
 * Keeps the store in step with the server: after every (re)connect `convs` then
 * `history after` for each loaded conversation whose `lastSeq` is ahead, and the latest
 * page of conversations that appeared or moved while away; gap-fill when a pushed seq
 * jumps. One fill runs per conversation at a time.
 */
export class Sync {
  private filling = new Map<string, Promise<void>>();
  private again = new Set<string>();
  /** A catch-up already ran in this session: conversations that appear or move from now on are fetched. */
  private caughtUp = false;

  constructor(private readonly deps: SyncDeps) {}

  /** Full catch-up after a (re)connect. */
  async afterConnect(): Promise<void> {
    const { store } = this.deps;
    const knownLast = new Map(store.list().map((c) => [c.conv, c.lastSeq]));
    const seen = new Set<string>();
    let cursor: string | undefined;
    let complete = false;
    for (let page = 0; page < MAX_CONV_PAGES; page++) {
      const frame: Record<string, unknown> = { op: 'convs', limit: PAGE };
      if (cursor) frame.cursor = cursor;
      const heads = store.heads();
      const reply = await this.deps.request<ConvsReplyFrame>(frame);
      for (const c of reply.conversations) {
        store.applyConv(c, heads);
        seen.add(c.conv);
      }
      cursor = reply.nextCursor;
      if (!cursor) {
        complete = true;
        break;
      }
    }
    if (complete) store.retain(seen);
    this.deps.listChanged();
    const behind = [...seen].filter((conv) => {
      // Messages held without a loaded page (pushed live, or sent from here) count as
      // loaded from the oldest of them on, so what came after them is fetched too.
      const oldest = store.oldestSeq(conv);
      if (store.syncedSeq(conv) === undefined && oldest !== undefined) store.markSynced(conv, oldest - 1);
      const synced = store.syncedSeq(conv);
      return synced !== undefined && (store.get(conv)?.lastSeq ?? 0) > synced;
    });
    // Conversations that appeared or moved while this client was away and that it holds nothing of
    // (never opened): their latest page, so the store has what was sent meanwhile. Not on the first
    // catch-up of a session, which would fetch every conversation of a new device.
    const fresh = this.caughtUp
      ? [...seen].filter((conv) => {
          const last = store.get(conv)?.lastSeq ?? 0;
          return store.syncedSeq(conv) === undefined && store.oldestSeq(conv) === undefined && last > (knownLast.get(conv) ?? 0);
        })
      : [];
    await Promise.all([...behind.map((conv) => this.fill(conv)), ...fresh.map((conv) => this.loadHistory(conv, PAGE))]);
    this.caughtUp = true;
  }

  /** A pushed message: store it, and fetch the gap if its seq jumped. */
  pushed(msg: Msg): void {
    const { store } = this.deps;
    // The first message seen live in a conversation with nothing loaded starts its
    // contiguous head, so later gaps are filled and older pages load before it.
    if (store.syncedSeq(msg.conv) === undefined && store.oldestSeq(msg.conv) === undefined) {
      store.markSynced(msg.conv, msg.seq - 1);
    }
    const before = store.syncedSeq(msg.conv);
    const added = store.addMessages(msg.conv, [msg]);
    if (added.length) this.deps.added(msg.conv, added);
    if (before !== undefined && msg.seq > before + 1 && (store.syncedSeq(msg.conv) ?? 0) < msg.seq) {
      void this.fill(msg.conv).catch(() => {});
    }
  }

  /** Fetches `history after` the contiguous head until the server has no more. */
  fill(conv: string): Promise<void> {
    const running = this.filling.get(conv);
    if (running) {
      this.again.add(conv);
      return running;
    }
    const run = this.fillLoop(conv).finally(() => {
      this.filling.delete(conv);
      if (this.again.delete(conv)) void this.fill(conv).catch(() => {});
    });
    this.filling.set(conv, run);
    return run;
  }

  private async fillLoop(conv: string): Promise<void> {
    const { store } = this.deps;
    for (;;) {
      const after = store.syncedSeq(conv) ?? 0;
      const reply = await this.deps.request<HistoryReplyFrame>({ op: 'history', conv, after, limit: PAGE });
      if (store.syncedSeq(conv) === undefined) store.markSynced(conv, after);
      const added = store.addMessages(conv, reply.messages);
      if (added.length) this.deps.added(conv, added);
      const now = store.syncedSeq(conv) ?? 0;
      if (!reply.hasMore || now <= after) return;
    }
  }

  /**
   * Loads older messages for display: the latest page when nothing is loaded yet,
   * else the page before the oldest one held.
   */
  async loadHistory(conv: string, limit = 30): Promise<{ messages: ClientMessage[]; hasMore: boolean }> {
    const { store } = this.deps;
    const oldest = store.syncedSeq(conv) === undefined ? undefined : store.oldestSeq(conv);
    const frame: Record<string, unknown> = { op: 'history', conv, limit };
    if (oldest !== undefined) frame.before = oldest;
    const reply = await this.deps.request<HistoryReplyFrame>(frame);
    const added = store.addMessages(conv, reply.messages, oldest === undefined);
    if (oldest === undefined && reply.messages.length === 0) store.markSynced(conv, store.get(conv)?.lastSeq ?? 0);
    store.setHasMoreBefore(conv, reply.hasMore);
    if (added.length) this.deps.added(conv, added);
    // A latest page may end before messages pushed meanwhile: close that gap too.
    const last = store.get(conv)?.lastSeq ?? 0;
    if ((store.syncedSeq(conv) ?? 0) < last) await this.fill(conv);
    return { messages: store.messages(conv), hasMore: reply.hasMore };
  }
}
