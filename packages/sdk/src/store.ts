import type { Conv, ErrorBody, Group, Msg, User } from '@miniim/protocol';

/** Local delivery status of a message. */
export type MessageStatus = 'sending' | 'sent' | 'failed';

/** A message as the SDK holds it: the wire `msg` plus a local status. */
export interface ClientMessage extends Msg {
  status: MessageStatus;
  /** Why a send failed (status `failed`). */
  error?: ErrorBody;
}

/** A conversation as the SDK holds it. */
export interface Conversation {
  conv: string;
  kind: 'direct' | 'group';
  peer?: User;
  group?: Group;
  lastMessage?: ClientMessage;
  lastSeq: number;
  readSeq: number;
  unread: number;
  updatedAt: number;
  mentioned?: boolean;
  /** Highest seq the other member of a direct chat has read (from `read` pushes). */
  peerReadSeq?: number;
}

interface Entry {
  info: Conversation;
  bySeq: Map<number, ClientMessage>;
  pending: Map<string, ClientMessage>;
  /** All messages up to this seq are held (from the oldest loaded one); undefined when never loaded. */
  syncedSeq: number | undefined;
  hasMoreBefore: boolean;
  /** `info.unread` already accounts for every message up to this seq (the server said so). */
  countedSeq: number;
}

/** Serialized form kept by a persistence adapter (a cache, never the truth). */
export interface StoreSnapshot {
  v: 1;
  me: string;
  convs: Array<{ info: Conversation; messages: ClientMessage[]; syncedSeq?: number; hasMoreBefore: boolean }>;
}

const sent = (m: Msg): ClientMessage => ({ ...m, status: 'sent' });

/** In-memory conversations and messages: dedupe by id, ordered by seq, unread counts, last message. */
export class ConversationStore {
  me: string | undefined;
  private entries = new Map<string, Entry>();
  private ids = new Set<string>();

  private ensure(conv: string): Entry {
    let e = this.entries.get(conv);
    if (!e) {
      e = {
        info: {
          conv,
          kind: conv.startsWith('g:') ? 'group' : 'direct',
          lastSeq: 0,
          readSeq: 0,
          unread: 0,
          updatedAt: 0,
        },
        bySeq: new Map(),
        pending: new Map(),
        syncedSeq: undefined,
        hasMoreBefore: true,
        countedSeq: 0,
      };
      this.entries.set(conv, e);
    }
    return e;
  }

  /** Forgets everything (account switch). */
  clear(): void {
    this.entries.clear();
    this.ids.clear();
  }

  has(conv: string): boolean {
    return this.entries.has(conv);
  }

  get(conv: string): Conversation | undefined {
    return this.entries.get(conv)?.info;
  }

  /** Conversations, newest activity first. */
  list(): Conversation[] {
    return [...this.entries.values()].map((e) => e.info).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** Messages of a conversation by seq, then the ones still being sent. */
  messages(conv: string): ClientMessage[] {
    const e = this.entries.get(conv);
    if (!e) return [];
    const acked = [...e.bySeq.values()].sort((a, b) => a.seq - b.seq);
    return acked.concat([...e.pending.values()]);
  }

  syncedSeq(conv: string): number | undefined {
    return this.entries.get(conv)?.syncedSeq;
  }

  oldestSeq(conv: string): number | undefined {
    const e = this.entries.get(conv);
    if (!e || e.bySeq.size === 0) return undefined;
    return Math.min(...e.bySeq.keys());
  }

  hasMoreBefore(conv: string): boolean {
    return this.entries.get(conv)?.hasMoreBefore ?? true;
  }

  setHasMoreBefore(conv: string, value: boolean): void {
    this.ensure(conv).hasMoreBefore = value;
  }

  /** Each conversation's contiguous head now (taken when a listing is requested, for applyConv). */
  heads(): Map<string, number | undefined> {
    return new Map([...this.entries].map(([conv, e]) => [conv, e.syncedSeq]));
  }

  /**
   * Applies a server `conv` object (the truth). Drops cached messages the server does not know.
   * `heads`: the heads when the listing was requested — messages pushed while the reply was on
   * its way may be newer than the listing, and are not a sign of a reset server.
   */
  applyConv(c: Conv, heads?: Map<string, number | undefined>): void {
    const e = this.ensure(c.conv);
    const held = heads ? heads.get(c.conv) : e.syncedSeq;
    if (held !== undefined && e.syncedSeq !== undefined && held > c.lastSeq) {
      // The cache is ahead of the server (for example a reset database): forget it.
      for (const m of e.bySeq.values()) this.ids.delete(m.id);
      e.bySeq.clear();
      e.syncedSeq = undefined;
      e.hasMoreBefore = true;
    }
    const { lastMessage, ...rest } = c;
    e.info = { ...e.info, ...rest };
    e.countedSeq = c.lastSeq;
    if (lastMessage) e.info.lastMessage = e.bySeq.get(lastMessage.seq) ?? sent(lastMessage);
  }

  /** Forgets conversations not in `keep` (after a complete `convs` listing). */
  retain(keep: Set<string>): void {
    for (const [conv, e] of this.entries) {
      if (keep.has(conv) || e.pending.size > 0) continue;
      for (const m of e.bySeq.values()) this.ids.delete(m.id);
      this.entries.delete(conv);
    }
  }

  /**
   * Adds messages from the server, skipping ids already held. `latestPage` marks a page
   * that ends at the newest message (history without before/after). Returns the added ones.
   */
  addMessages(conv: string, msgs: Msg[], latestPage = false): ClientMessage[] {
    const e = this.ensure(conv);
    const added: ClientMessage[] = [];
    let maxSeq = 0;
    for (const m of msgs) {
      maxSeq = Math.max(maxSeq, m.seq);
      const held = e.bySeq.get(m.seq);
      if (held || this.ids.has(m.id)) {
        if (held && m.recalled && !held.recalled) this.applyRecall(conv, m.seq, m.recalled.by, m.recalled.ts);
        continue;
      }
      const cm = sent(m);
      if (m.clientMsgId && m.from === this.me) e.pending.delete(m.clientMsgId);
      e.bySeq.set(m.seq, cm);
      this.ids.add(m.id);
      added.push(cm);
      const info = e.info;
      if (m.seq > e.countedSeq && m.seq > info.readSeq && m.from !== this.me && m.kind !== 'system') info.unread++;
      if (m.seq > info.lastSeq) info.lastSeq = m.seq;
      if (m.from === this.me && m.seq > info.readSeq && m.seq >= info.lastSeq) {
        // Sending implies having read everything before it.
        info.readSeq = m.seq;
        info.unread = 0;
      }
      if (!info.lastMessage || info.lastMessage.seq <= m.seq || info.lastMessage.status !== 'sent') {
        info.lastMessage = cm;
      }
      info.updatedAt = Math.max(info.updatedAt, m.ts);
    }
    if (latestPage) e.syncedSeq = Math.max(e.syncedSeq ?? 0, maxSeq);
    this.advance(e);
    return added;
  }

  /** Marks a conversation as loaded from seq `after` on (an empty `history after` answer). */
  markSynced(conv: string, after: number): void {
    const e = this.ensure(conv);
    if (e.syncedSeq === undefined) e.syncedSeq = after;
    this.advance(e);
  }

  private advance(e: Entry): void {
    if (e.syncedSeq === undefined) return;
    while (e.bySeq.has(e.syncedSeq + 1)) e.syncedSeq++;
  }

  /** The message with this id, if held. */
  findByClientMsgId(conv: string, clientMsgId: string): ClientMessage | undefined {
    const e = this.entries.get(conv);
    if (!e) return undefined;
    const p = e.pending.get(clientMsgId);
    if (p) return p;
    for (const m of e.bySeq.values()) if (m.clientMsgId === clientMsgId && m.from === this.me) return m;
    return undefined;
  }

  /** Adds or updates a local message that has no seq yet (status sending or failed). */
  putPending(m: ClientMessage): void {
    const e = this.ensure(m.conv);
    e.pending.set(m.clientMsgId ?? m.id, m);
    e.info.lastMessage = m;
    e.info.updatedAt = Math.max(e.info.updatedAt, m.ts);
  }

  removePending(conv: string, clientMsgId: string): void {
    this.entries.get(conv)?.pending.delete(clientMsgId);
  }

  /** Applies a recall; returns the updated message if held. */
  applyRecall(conv: string, seq: number, by: string, ts: number): ClientMessage | undefined {
    const e = this.entries.get(conv);
    const m = e?.bySeq.get(seq);
    if (!e || !m) return undefined;
    const updated: ClientMessage = { ...m, body: {}, recalled: { by, ts } };
    e.bySeq.set(seq, updated);
    if (e.info.lastMessage?.seq === seq) e.info.lastMessage = updated;
    return updated;
  }

  /** Applies a `read` push; for another user it records how far the peer has read. */
  applyRead(conv: string, user: string, seq: number): void {
    const e = this.ensure(conv);
    if (user !== this.me) {
      e.info.peerReadSeq = Math.max(e.info.peerReadSeq ?? 0, seq);
      return;
    }
    if (seq <= e.info.readSeq) return;
    e.info.readSeq = seq;
    e.info.unread = seq >= e.info.lastSeq ? 0 : this.countUnread(e);
  }

  /** Applies a read ack (exact numbers from the server). */
  setReadState(conv: string, readSeq: number, unread: number): void {
    const e = this.ensure(conv);
    e.info.readSeq = Math.max(e.info.readSeq, readSeq);
    e.info.unread = unread;
    e.countedSeq = Math.max(e.countedSeq, e.info.lastSeq);
  }

  private countUnread(e: Entry): number {
    const { readSeq, lastSeq } = e.info;
    let n = 0;
    for (let s = readSeq + 1; s <= lastSeq; s++) {
      const m = e.bySeq.get(s);
      if (!m) return Math.min(e.info.unread, lastSeq - readSeq); // not all held: best effort
      if (m.from !== this.me && m.kind !== 'system') n++;
    }
    return n;
  }

  snapshot(maxPerConv = 50): StoreSnapshot {
    const convs: StoreSnapshot['convs'] = [];
    for (const e of this.entries.values()) {
      const acked = [...e.bySeq.values()].sort((a, b) => a.seq - b.seq);
      const tail = acked.slice(-maxPerConv);
      // Only a contiguous tail keeps the syncedSeq promise.
      const synced = e.syncedSeq !== undefined && tail.length > 0 && tail[0].seq <= e.syncedSeq ? e.syncedSeq : undefined;
      const item: StoreSnapshot['convs'][number] = {
        info: e.info,
        messages: tail,
        hasMoreBefore: e.hasMoreBefore || tail.length < acked.length,
      };
      if (synced !== undefined) item.syncedSeq = synced;
      convs.push(item);
    }
    return { v: 1, me: this.me ?? '', convs };
  }

  /** Loads a snapshot into an empty store; ignored when it belongs to another user. */
  restore(snap: StoreSnapshot): boolean {
    if (snap?.v !== 1 || !Array.isArray(snap.convs) || (this.me && snap.me !== this.me)) return false;
    for (const c of snap.convs) {
      if (!c?.info?.conv || this.entries.has(c.info.conv)) continue;
      const e = this.ensure(c.info.conv);
      e.info = { ...c.info };
      if (e.info.lastMessage?.status === 'sending') delete e.info.lastMessage;
      for (const m of c.messages ?? []) {
        if (typeof m?.seq !== 'number' || typeof m.id !== 'string') continue;
        e.bySeq.set(m.seq, { ...m, status: 'sent' });
        this.ids.add(m.id);
      }
      e.syncedSeq = c.syncedSeq;
      e.countedSeq = e.info.lastSeq;
      e.hasMoreBefore = c.hasMoreBefore !== false;
    }
    return true;
  }
}
