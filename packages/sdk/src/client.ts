import type {
  AudioBody,
  ClientMessageKind,
  FileBody,
  Group,
  GroupMember,
  ImageBody,
  MediaUploadResponse,
  MessageBody,
  PresenceReplyFrame,
  ReadAckFrame,
  SendAckFrame,
  ServerFrame,
  User,
  VideoBody,
} from '@miniim/protocol';
import { directConvId, directPeer, ImError, parseConvId } from '@miniim/protocol';
import { type AuthToken, TokenKeeper } from './auth/token-keeper.js';
import type { ClientEvents, ClientOptions, SendOptions } from './client-options.js';
import { Connection } from './connection.js';
import { Emitter } from './emitter.js';
import { ApiClient, trimSlash, type UploadSource } from './http.js';
import { newClientMsgId } from './ids.js';
import { CONNECTION_LOST, Outbox } from './outbox.js';
import { PendingRequests } from './requests.js';
import type { ConnectionState, StateChange } from './state.js';
import { type ClientMessage, type Conversation, ConversationStore } from './store.js';
import { StoreCache } from './store-cache.js';
import { Sync } from './sync.js';

export type { ClientEvents, ClientOptions, EnvironmentTarget, SendOptions } from './client-options.js';

/**
 * The MiniIM client: connection, outbox, sync and the conversation store behind
 * one typed API. Platform-free; use `@miniim/sdk/web` or `@miniim/sdk/wx` to create one.
 */
export class ImClient extends Emitter<ClientEvents> {
  readonly store = new ConversationStore();
  readonly api: ApiClient;
  user: User | undefined;
  private readonly conn: Connection;
  private readonly tokens: TokenKeeper;
  private readonly unhook: () => void;
  private readonly requests = new PendingRequests();
  private readonly outbox: Outbox;
  private readonly sync: Sync;
  private readonly watched = new Set<string>();
  private readonly typingSentAt = new Map<string, number>();
  private readonly cache: StoreCache;

  constructor(private readonly options: ClientOptions) {
    super();
    const base = trimSlash(options.baseUrl);
    const wsUrl = options.wsUrl ?? `${base.replace(/^http/, 'ws')}/ws`;
    this.tokens = new TokenKeeper({
      baseUrl: base,
      http: options.http,
      auth: options.auth,
      getToken: options.getToken,
      refreshAheadMs: options.refreshAheadMs,
      timeoutMs: options.connectTimeoutMs,
    });
    this.conn = new Connection({
      wsUrl,
      transport: options.transport,
      tokens: this.tokens,
      backoff: options.backoff,
      connectTimeoutMs: options.connectTimeoutMs,
      heartbeat: options.heartbeat,
      reconnectInBackground: options.reconnectInBackground,
    });
    this.store.me = options.userId;
    this.cache = new StoreCache(this.store, options.persistence);
    this.api = new ApiClient(base, options.http, this.tokens);
    this.outbox = new Outbox({
      connected: () => this.conn.state === 'connected',
      probe: () => this.probe(),
      request: (frame) => this.trySend<SendAckFrame>(frame, options.sendTimeoutMs ?? 20_000),
      acked: (item, msg) => {
        const added = this.store.addMessages(msg.conv, [msg]);
        const held = this.store.findByClientMsgId(msg.conv, item.clientMsgId) ?? {
          ...msg,
          status: 'sent' as const,
        };
        if (added.length) this.changed(msg.conv, added);
        return held;
      },
      failed: (item, err) => {
        const conv = this.convOf(item.to);
        const local = conv ? this.store.findByClientMsgId(conv, item.clientMsgId) : undefined;
        if (local && local.status !== 'sent') {
          const failed: ClientMessage = { ...local, status: 'failed', error: err.toBody() };
          this.store.putPending(failed);
          this.changed(failed.conv, [failed]);
        }
      },
    });
    this.sync = new Sync({
      store: this.store,
      request: (frame) => this.request(frame),
      added: (conv, msgs) => this.changed(conv, msgs),
      listChanged: () => this.emitConversations(),
    });
    this.tokens.on('auth', (auth) => this.emit('auth', auth));
    this.conn.on('sessionEnded', (ended) => {
      this.ended = true;
      this.emit('sessionEnded', ended);
    });
    this.conn.on('state', (change) => this.onState(change));
    this.conn.on('hello', (hello) => void this.onHello(hello.user));
    this.conn.on('frame', (frame) => this.onFrame(frame));
    this.unhook = options.environment?.(this) ?? (() => {});
  }

  /** True after `sessionEnded`, until `setAuth()` or `connect()`. */
  private ended = false;

  /** Current connection state. */
  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Exposed for tests and diagnostics: the reconnect backoff. */
  get backoff() {
    return this.conn.backoff;
  }

  /** Connects (and keeps reconnecting until `disconnect()`); loads the persisted cache first. */
  async connect(): Promise<void> {
    this.ended = false;
    await this.restore();
    this.conn.connect();
  }

  /** Closes the socket and stops reconnecting. Pending sends stay queued for the next `connect()`. */
  disconnect(): void {
    this.conn.disconnect();
  }

  /** Disconnects and unhooks the platform listeners (network, foreground) and timers. */
  dispose(): void {
    this.unhook();
    this.tokens.dispose();
    this.conn.disconnect();
  }

  /** Logs out for good: disconnects, fails queued sends, forgets the cache. */
  async close(): Promise<void> {
    this.dispose();
    this.outbox.failAll(new ImError('unavailable', 'client closed'));
    await this.cache.remove(this.user?.id);
  }

  /**
   * A new login for the same user (e.g. a silent `wx.login` after `sessionEnded`): uses the new
   * token and, if the login had ended, connects again. Queued sends are kept and go out.
   */
  setAuth(auth: AuthToken): void {
    this.tokens.set(auth);
    if (this.conn.state === 'disconnected' && this.ended) void this.connect();
  }

  /**
   * The network went away (false) or came back (true). Back: reconnect at once with the backoff
   * reset. Wired automatically by the web entry (`online` / `offline`) and the wx entry
   * (`wx.onNetworkStatusChange`).
   */
  networkChanged(online: boolean): void {
    this.conn.networkChanged(online);
  }

  /**
   * The app came to the front (true) or went behind (false). In front: reconnect at once (backoff
   * reset, lower cap) or probe the socket. Wired by the web entry (`visibilitychange`) and the wx
   * entry (`wx.onAppShow` / `wx.onAppHide`).
   */
  setForeground(front: boolean): void {
    this.conn.setForeground(front);
  }

  /** Same as `setForeground(false)` (mini-program `onAppHide`). */
  pause(): void {
    this.setForeground(false);
  }

  /** Same as `setForeground(true)` (mini-program `onAppShow`). */
  resume(): void {
    this.setForeground(true);
  }

  /** Whether the network is up as far as the platform said. */
  get online(): boolean {
    return this.conn.isOnline;
  }

  /** Resolves once connected (or rejects after `timeoutMs`). */
  waitConnected(timeoutMs = 15_000): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ImError('unavailable', 'not connected in time'));
      }, timeoutMs);
      const off = this.on('state', (c) => {
        if (c.newState !== 'connected') return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  // ---- reading state ----

  conversations(): Conversation[] {
    return this.store.list();
  }

  conversation(conv: string): Conversation | undefined {
    return this.store.get(conv);
  }

  messages(conv: string): ClientMessage[] {
    return this.store.messages(conv);
  }

  /** Loads older messages (the latest page the first time). */
  loadHistory(conv: string, limit = 30): Promise<{ messages: ClientMessage[]; hasMore: boolean }> {
    return this.sync.loadHistory(conv, limit);
  }

  // ---- sending ----

  /**
   * Sends a message to `u:<userId>`, `g:<groupId>` or a conversation id. Resolves with the
   * acked message; rejects only on a definitive error (forbidden, content_rejected, …).
   */
  send(to: string, kind: ClientMessageKind, body: MessageBody, opts: SendOptions = {}): Promise<ClientMessage> {
    const target = this.targetOf(to);
    const clientMsgId = opts.clientMsgId ?? newClientMsgId();
    if (this.outbox.has(clientMsgId)) return Promise.reject(new ImError('conflict', 'already sending'));
    const conv = this.convOf(target);
    if (conv && this.store.me) {
      const local: ClientMessage = {
        id: `local:${clientMsgId}`,
        conv,
        seq: 0,
        from: this.store.me,
        kind,
        body,
        ts: Date.now(),
        clientMsgId,
        status: 'sending',
      };
      this.store.putPending(local);
      this.changed(conv, [local]);
    }
    return this.outbox.add({ clientMsgId, to: target, kind, body });
  }

  sendText(to: string, text: string, extra: { mentions?: string[]; mentionAll?: boolean } = {}): Promise<ClientMessage> {
    return this.send(to, 'text', { text, ...extra });
  }

  /** Sends an image: a body with a server-issued `url`, or a file that is uploaded first. */
  async sendImage(to: string, image: ImageBody | UploadSource, fileName?: string): Promise<ClientMessage> {
    const body = isBody<ImageBody>(image) ? image : pick<ImageBody>(await this.upload(image, 'image', fileName), ['url', 'width', 'height', 'size']);
    return this.send(to, 'image', body);
  }

  async sendVideo(to: string, video: VideoBody | UploadSource, fileName?: string): Promise<ClientMessage> {
    const body = isBody<VideoBody>(video) ? video : pick<VideoBody>(await this.upload(video, 'video', fileName), ['url', 'duration', 'size']);
    return this.send(to, 'video', body);
  }

  async sendAudio(to: string, audio: AudioBody | UploadSource, fileName?: string): Promise<ClientMessage> {
    const body = isBody<AudioBody>(audio) ? audio : pick<AudioBody>(await this.upload(audio, 'audio', fileName), ['url', 'duration', 'size']);
    return this.send(to, 'audio', body);
  }

  async sendFile(to: string, file: FileBody | UploadSource, fileName = 'file'): Promise<ClientMessage> {
    if (isBody<FileBody>(file)) return this.send(to, 'file', file);
    const up = await this.upload(file, 'file', fileName);
    return this.send(to, 'file', { url: up.url, name: fileName, size: up.size });
  }

  sendCustom(to: string, body: Record<string, unknown>): Promise<ClientMessage> {
    return this.send(to, 'custom', body);
  }

  /** Sends a failed message again with its original clientMsgId. */
  retry(message: ClientMessage): Promise<ClientMessage> {
    if (message.status !== 'failed' || !message.clientMsgId) return Promise.reject(new ImError('bad_request', 'not a failed message'));
    return this.send(message.conv, message.kind as ClientMessageKind, message.body, {
      clientMsgId: message.clientMsgId,
    });
  }

  /** Uploads a file (`POST /api/media`) and returns its URL. */
  upload(file: UploadSource, kind?: string, fileName?: string): Promise<MediaUploadResponse> {
    return this.api.upload(file, { kind, fileName });
  }

  /** Recalls a message (own within the recall window, or as group owner/admin). */
  async recall(conv: string, seq: number): Promise<void> {
    await this.request({ op: 'recall', conv, seq });
    const m = this.store.applyRecall(conv, seq, this.store.me ?? '', Date.now());
    if (m) this.changed(conv, [m]);
    this.emit('recalled', { conv, seq, by: this.store.me ?? '' });
  }

  /** Marks a conversation read up to `seq` (default: its last seq). */
  async markRead(conv: string, seq?: number): Promise<void> {
    const upTo = seq ?? this.store.get(conv)?.lastSeq ?? 0;
    if (upTo <= 0) return;
    this.store.applyRead(conv, this.store.me ?? '', upTo);
    this.emitConversations();
    if (this.state !== 'connected') return; // unread is recomputed by the next sync
    const ack = await this.request<ReadAckFrame>({ op: 'read', conv, seq: upTo });
    this.store.setReadState(conv, ack.readSeq, ack.unread);
    this.emitConversations();
  }

  /** Tells the peer(s) the user is typing; throttled to one frame per 3 s per target. */
  typing(to: string): void {
    const target = this.targetOf(to);
    const now = Date.now();
    if (now - (this.typingSentAt.get(target) ?? 0) < 3_000) return;
    this.typingSentAt.set(target, now);
    this.conn.send({ op: 'typing', to: target });
  }

  /** Who is online; with `watch`, `presence` events follow (re-armed after reconnects). */
  async presence(users: string[], watch = false): Promise<Record<string, boolean>> {
    if (watch) for (const u of users) this.watched.add(u);
    const reply = await this.request<PresenceReplyFrame>({ op: 'presence', users, watch });
    return reply.online;
  }

  // ---- groups and users (HTTP) ----

  async createGroup(name: string, members: string[], avatarUrl?: string): Promise<Group> {
    const group = await this.api.createGroup(avatarUrl ? { name, members, avatarUrl } : { name, members });
    this.requestResync();
    return group;
  }
  getGroup(id: string): Promise<Group> {
    return this.api.group(id);
  }
  updateGroup(id: string, patch: { name?: string; avatarUrl?: string; muted?: boolean }): Promise<Group> {
    return this.api.updateGroup(id, patch);
  }
  groupMembers(id: string, opts?: { cursor?: string; limit?: number }): Promise<{ members: GroupMember[]; nextCursor?: string }> {
    return this.api.groupMembers(id, opts);
  }
  addGroupMembers(id: string, userIds: string[]): Promise<Group> {
    return this.api.addGroupMembers(id, userIds);
  }
  removeGroupMember(id: string, userId: string): Promise<Group> {
    return this.api.removeGroupMember(id, userId);
  }
  leaveGroup(id: string): Promise<Group> {
    return this.api.removeGroupMember(id, this.store.me ?? '');
  }
  getUser(id: string): Promise<User> {
    return this.api.user(id);
  }

  // ---- internals ----

  /** Sends a request frame and waits for its reply. */
  request<T>(frame: Record<string, unknown>, timeoutMs = this.options.requestTimeoutMs ?? 15_000): Promise<T> {
    const pending = this.trySend<T>(frame, timeoutMs);
    return pending ?? Promise.reject(new ImError('unavailable', 'not connected'));
  }

  private trySend<T>(frame: Record<string, unknown>, timeoutMs: number): Promise<T> | null {
    if (this.conn.state !== 'connected') return null;
    const { rid, promise } = this.requests.create<T>(timeoutMs);
    if (!this.conn.send({ ...frame, rid })) {
      this.requests.fail(rid, new ImError('unavailable', CONNECTION_LOST));
    }
    return promise;
  }

  /** Pings the socket; true when it answered in time (a send that timed out goes again only then). */
  private async probe(): Promise<boolean> {
    if (this.conn.state !== 'connected') return false;
    try {
      await this.request({ op: 'ping' }, this.conn.probeTimeoutMs);
      return true;
    } catch {
      this.conn.probe();
      return false;
    }
  }

  private targetOf(to: string): string {
    if (to.startsWith('u:') || to.startsWith('g:')) return to;
    const parsed = parseConvId(to);
    if (parsed?.kind === 'direct' && this.store.me) {
      const peer = directPeer(parsed, this.store.me);
      if (peer) return `u:${peer}`;
    }
    throw new ImError('bad_request', `to: not a target or conversation: ${to}`);
  }

  private convOf(target: string): string | undefined {
    if (target.startsWith('g:')) return target;
    if (target.startsWith('u:') && this.store.me) return directConvId(this.store.me, target.slice(2));
    return undefined;
  }

  private onState(change: StateChange): void {
    if (change.oldState === 'connected') {
      this.requests.failAll(new ImError('unavailable', CONNECTION_LOST));
    }
    this.emit('state', change);
  }

  private async onHello(user: User): Promise<void> {
    if (this.store.me && this.store.me !== user.id) {
      // Another account on this client: nothing cached belongs to it.
      this.store.clear();
      this.cache.forgetRestored();
    }
    this.user = user;
    this.store.me = user.id;
    await this.restore();
    this.outbox.flush();
    if (this.watched.size) void this.request({ op: 'presence', users: [...this.watched], watch: true }).catch(() => {});
    try {
      await this.sync.afterConnect();
      this.emit('synced', { user });
    } catch (err) {
      if (err instanceof ImError) this.emit('error', err);
    }
  }

  private resyncTimer: ReturnType<typeof setTimeout> | undefined;

  /** Refreshes the conversation list soon (a new conversation appeared). */
  private requestResync(): void {
    if (this.resyncTimer !== undefined) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.state === 'connected') void this.sync.afterConnect().catch(() => {});
    }, 200);
  }

  private onFrame(frame: ServerFrame): void {
    if (this.requests.settle(frame as { op: string; rid?: string })) return;
    switch (frame.op) {
      case 'msg': {
        const known = this.store.has(frame.msg.conv);
        this.sync.pushed(frame.msg);
        if (!known || (frame.msg.conv.startsWith('d:') && !this.store.get(frame.msg.conv)?.peer)) this.requestResync();
        break;
      }
      case 'read':
        this.store.applyRead(frame.conv, frame.user, frame.seq);
        this.emit('read', { conv: frame.conv, user: frame.user, seq: frame.seq });
        this.emitConversations();
        break;
      case 'recalled': {
        const m = this.store.applyRecall(frame.conv, frame.seq, frame.by, Date.now());
        if (m) this.changed(frame.conv, [m]);
        this.emit('recalled', { conv: frame.conv, seq: frame.seq, by: frame.by });
        break;
      }
      case 'typing':
        this.emit('typing', { conv: frame.conv, user: frame.user });
        break;
      case 'presence':
        if ('user' in frame) this.emit('presence', { user: frame.user, online: frame.online });
        break;
      case 'kicked':
        this.emit('kicked', { reason: frame.reason });
        break;
      case 'resync':
        // The server's cluster bus was interrupted: pushes may be missing; fetch them as after a reconnect.
        this.requestResync();
        break;
      default:
        break;
    }
  }

  private async restore(): Promise<void> {
    if (await this.cache.restore()) this.emit('conversations', this.store.list());
  }

  private changed(conv: string, msgs: ClientMessage[]): void {
    for (const m of msgs) this.emit('message', m);
    void conv;
    this.emitConversations();
  }

  private emitConversations(): void {
    this.emit('conversations', this.store.list());
    this.cache.scheduleSave();
  }
}

function isBody<T extends { url: string }>(v: T | UploadSource): v is T {
  return typeof v === 'object' && v !== null && typeof (v as { url?: unknown }).url === 'string' && !(typeof Blob !== 'undefined' && v instanceof Blob);
}

function pick<T>(src: MediaUploadResponse, keys: string[]): T {
  const out: Record<string, unknown> = {};
  const s = src as unknown as Record<string, unknown>;
  for (const k of keys) if (s[k] !== undefined) out[k] = s[k];
  return out as T;
}
