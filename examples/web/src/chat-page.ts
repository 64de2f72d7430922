/**
 * The logged-in page: conversation list, chat view, receipts, context menu, uploads and the
 * group side panel, over one SDK client and a profile cache. Built once per login, disposed
 * on logout.
 */
import { type ClientMessage, type Conversation, directConvId, type Group, type ImClient, ProfileStore, type User } from '@miniim/sdk/web';
import { $ } from './dom.js';
import { convTitle, type Names, paintAvatar, peerOf } from './format.js';
import { openMenu, toast } from './overlay.js';
import { closeSidePanel, type PersonView, showMembers, showPanelNotice, showReaders } from './side-panel.js';
import { errorText, STATE_BANNER } from './texts.js';
import { type Upload, UploadError, uploadWithProgress } from './uploads.js';
import { renderConversations, renderMessages } from './views.js';

/** The server's default recall window (hello.limits.recallWindowMs). */
const RECALL_WINDOW_MS = 120_000;
/** Group receipts are fetched for this many of my latest messages. */
const RECEIPT_MESSAGES = 3;
/** Older messages load when the chat view is scrolled this close to its top. */
const TOP_EDGE_PX = 80;

export interface ChatPageDeps {
  baseUrl: string;
  client: ImClient;
  me: User;
  /** The current token (for uploads) and a refresh of it. */
  token(): string;
  refreshToken(): Promise<string>;
}

export class ChatPage {
  readonly profiles: ProfileStore;
  private current: string | undefined;
  /** The conversation whose older page is being fetched, if any. */
  private loadingOlder: string | undefined;
  private readonly groups = new Map<string, Group>();
  private readonly reads = new Map<string, Map<number, number>>();
  private uploads: Upload[] = [];
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private receiptTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * `message` events of one turn (a sync or a history page emits one per message): the chat view
   * renders once after them and a read receipt goes once, for the newest message read.
   */
  private turn: { conv: string; readUpTo: number } | undefined;
  private readonly offs: Array<() => void> = [];
  private readonly audio = new Audio();
  readonly names: Names;
  private readonly people: PersonView;

  constructor(private readonly deps: ChatPageDeps) {
    const { client, me } = deps;
    this.profiles = new ProfileStore(client.api);
    this.profiles.remember([me]);
    this.names = { user: (id) => this.profiles.name(id), group: (id) => this.groups.get(id) };
    this.people = { name: (id) => this.profiles.name(id), avatar: (id) => this.profiles.get(id)?.avatarUrl || undefined };
    this.offs.push(
      client.on('state', (s) => this.showState(s.newState)),
      client.on('conversations', () => this.renderList()),
      client.on('message', (m) => this.onMessage(m)),
      client.on('recalled', (r) => r.conv === this.current && this.renderChat()),
      client.on('read', (r) => r.conv === this.current && this.renderChat()),
      client.on('synced', () => this.onSynced()),
      client.on('typing', (t) => this.onTyping(t.conv, t.user)),
      this.profiles.on('change', () => {
        this.renderList();
        this.renderChat();
      }),
    );
    const list = $('messages');
    const onScroll = (): void => void this.loadOlder();
    list.addEventListener('scroll', onScroll, { passive: true });
    this.offs.push(() => list.removeEventListener('scroll', onScroll));
    $('me-name').textContent = me.nickname || me.id;
    paintAvatar($('me-avatar'), me.nickname || me.id, me.avatarUrl || undefined);
    this.showState(client.state);
    this.renderList();
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    for (const u of this.uploads) u.abort();
    this.audio.pause();
    if (this.receiptTimer) clearTimeout(this.receiptTimer);
    this.current = undefined;
    $('conv-list').replaceChildren();
    $('messages').replaceChildren();
    $('app').classList.remove('in-chat');
    closeSidePanel();
  }

  get currentConv(): string | undefined {
    return this.current;
  }

  // ---- connection state ----

  private showState(state: string): void {
    document.body.dataset.state = state;
    const text = STATE_BANNER[state];
    const banner = $('conn-banner');
    banner.hidden = !text;
    $('conn-banner-text').textContent = text ?? '';
  }

  // ---- rendering ----

  private renderList(): void {
    const convs = this.deps.client.conversations();
    this.profiles.remember(convs.map((c) => c.peer));
    for (const c of convs) if (c.group) this.groups.set(c.group.id, c.group);
    this.loadNames(convs.flatMap((c) => (c.lastMessage ? idsOf(c.lastMessage) : [])));
    renderConversations($('conv-list'), convs, this.deps.me.id, this.current, this.names, (conv) => void this.open(conv));
  }

  private conversation(conv: string): Conversation {
    const held = this.deps.client.conversation(conv);
    if (held) return held.kind === 'group' && !held.group && this.groups.has(conv.slice(2)) ? { ...held, group: this.groups.get(conv.slice(2)) } : held;
    const kind = conv.startsWith('g:') ? 'group' : 'direct';
    return { conv, kind, lastSeq: 0, readSeq: 0, unread: 0, updatedAt: 0, group: kind === 'group' ? this.groups.get(conv.slice(2)) : undefined };
  }

  private renderChat(): void {
    const conv = this.current;
    if (!conv) return;
    const c = this.conversation(conv);
    $('chat-title').textContent = convTitle(c, this.deps.me.id, this.names);
    $('members-btn').hidden = c.kind !== 'group';
    const msgs = this.deps.client.messages(conv);
    this.loadNames(msgs.flatMap(idsOf));
    renderMessages($('messages'), msgs, {
      me: this.deps.me.id,
      conv: c,
      names: this.names,
      avatarOf: (id) => this.profiles.get(id)?.avatarUrl || undefined,
      uploads: this.uploads,
      peerReadSeq: c.peerReadSeq ?? 0,
      groupReads: this.reads.get(conv) ?? new Map(),
      groupSize: c.kind === 'group' ? this.profiles.cachedMembers(conv.slice(2))?.length : undefined,
      menu: (m, x, y) => this.menu(m, x, y),
      retry: (m) => void this.deps.client.retry(m).catch((e) => toast(`重发失败：${errorText(e)}`)),
      showReaders: (m) => void this.readers(m),
      cancelUpload: (u) => u.abort(),
      playAudio: (url, el) => this.playAudio(url, el),
      history: this.loadingOlder === conv ? 'loading' : this.deps.client.store.hasMoreBefore(conv) ? 'more' : 'none',
    });
  }

  /**
   * While the top of the chat view is in sight (the user scrolled up, or the messages held do not
   * fill the view, as after a conversation's first message arrived live), loads the page before
   * the oldest message held, until the view is filled or the server has nothing older.
   */
  private async loadOlder(): Promise<void> {
    const { client } = this.deps;
    const list = $('messages');
    const conv = this.current;
    if (!conv || this.loadingOlder || list.scrollTop > TOP_EDGE_PX) return;
    if (client.state !== 'connected' || !client.store.hasMoreBefore(conv)) return;
    this.loadingOlder = conv;
    // Kept from the bottom: the view shows the loading edge now and the page's messages once they are all in.
    let fromBottom = list.scrollHeight - list.scrollTop;
    this.renderChat();
    list.scrollTop = list.scrollHeight - fromBottom;
    fromBottom = list.scrollHeight - list.scrollTop;
    try {
      await client.loadHistory(conv);
    } catch {
      return; // offline or refused: the next scroll or opening tries again
    } finally {
      this.loadingOlder = undefined;
      if (this.current === conv) {
        this.renderChat();
        list.scrollTop = list.scrollHeight - fromBottom;
      }
    }
    if (this.current === conv) await this.loadOlder();
  }

  /** Fetches the profiles of ids the page cannot name yet (batched by the store). */
  private loadNames(ids: string[]): void {
    const missing = ids.filter((id) => !this.profiles.get(id) && !this.profiles.isUnknown(id) && id !== 'system');
    if (missing.length) void this.profiles.load(missing).catch(() => {});
  }

  // ---- conversations ----

  async open(conv: string): Promise<void> {
    const { client } = this.deps;
    if (this.current !== conv) closeSidePanel();
    this.current = conv;
    $('app').classList.add('in-chat');
    $('composer').hidden = false;
    $('typing').textContent = '';
    if (conv.startsWith('g:') && !this.conversation(conv).group) void this.loadGroup(conv.slice(2));
    this.renderList();
    this.renderChat();
    if (client.state === 'connected') {
      try {
        if (client.messages(conv).length === 0 || client.store.syncedSeq(conv) === undefined) await client.loadHistory(conv);
        if (this.current === conv) await client.markRead(conv);
      } catch {
        // offline or not a conversation yet: the next sync catches up
      }
    }
    if (this.current !== conv) return;
    this.renderChat();
    void this.loadOlder();
    this.scheduleReceipts(0);
    $<HTMLTextAreaElement>('composer-input').focus();
  }

  close(): void {
    this.current = undefined;
    closeSidePanel();
    $('app').classList.remove('in-chat');
    this.renderList();
  }

  /** Opens a direct chat after checking that the user exists; returns the problem in Chinese, if any. */
  async startDirect(peer: string): Promise<string | undefined> {
    const me = this.deps.me.id;
    if (peer === me) return '不能和自己发起聊天';
    try {
      await this.profiles.load([peer]);
    } catch (e) {
      return `无法查询该用户：${errorText(e)}`;
    }
    if (this.profiles.isUnknown(peer)) return `用户“${peer}”不存在`;
    await this.open(directConvId(me, peer));
    return undefined;
  }

  /** Checks the ids, creates the group and opens it; returns the problem in Chinese, if any. */
  async createGroup(name: string, members: string[]): Promise<string | undefined> {
    try {
      await this.profiles.load(members);
    } catch (e) {
      return `无法查询成员：${errorText(e)}`;
    }
    const unknown = members.filter((id) => this.profiles.isUnknown(id));
    if (unknown.length) return `以下用户不存在：${unknown.join('、')}`;
    try {
      const g = await this.deps.client.createGroup(name, members);
      this.groups.set(g.id, g);
      await this.open(`g:${g.id}`);
      return undefined;
    } catch (e) {
      return `创建失败：${errorText(e)}`;
    }
  }

  private async loadGroup(id: string): Promise<void> {
    try {
      this.groups.set(id, await this.deps.client.getGroup(id));
      this.renderChat();
      this.renderList();
    } catch {
      // the title says 群聊 until the list has the group
    }
  }

  sendTarget(): string | undefined {
    const conv = this.current;
    if (!conv) return undefined;
    return conv.startsWith('g:') ? conv : `u:${peerOf(conv, this.deps.me.id)}`;
  }

  sendText(text: string): void {
    const to = this.sendTarget();
    if (!to) return;
    this.deps.client.sendText(to, text).catch((e) => {
      toast(errorText(e));
      this.renderChat();
    });
  }

  typing(): void {
    const to = this.sendTarget();
    if (to) this.deps.client.typing(to);
  }

  // ---- events ----

  private onMessage(m: ClientMessage): void {
    if (m.conv !== this.current) return;
    // Membership changed: the member list (names, group size for receipts) is stale.
    if (m.kind === 'system' && m.conv.startsWith('g:')) void this.profiles.members(m.conv.slice(2)).catch(() => {});
    const fromPeer = m.from !== this.deps.me.id;
    if (fromPeer) $('typing').textContent = '';
    if (!this.turn) {
      this.turn = { conv: m.conv, readUpTo: 0 };
      queueMicrotask(() => this.endTurn());
    }
    if (fromPeer && m.status === 'sent') {
      this.turn.readUpTo = Math.max(this.turn.readUpTo, m.seq);
      // Someone is active in this chat: they may have read my messages too.
      this.scheduleReceipts(1500);
    }
  }

  private endTurn(): void {
    const turn = this.turn;
    this.turn = undefined;
    if (!turn || turn.conv !== this.current) return;
    // A page of older messages: loadOlder renders once it is in, keeping the scroll position.
    if (this.loadingOlder !== turn.conv) this.renderChat();
    // Older messages (a history page) are already read: only a newer one moves the read mark.
    if (turn.readUpTo > this.conversation(turn.conv).readSeq && document.visibilityState === 'visible') {
      void this.deps.client.markRead(turn.conv, turn.readUpTo).catch(() => {});
    }
  }

  private onSynced(): void {
    this.renderList();
    if (this.current) void this.open(this.current);
  }

  private onTyping(conv: string, user: string): void {
    if (conv !== this.current || user === this.deps.me.id) return;
    $('typing').textContent = `${this.profiles.name(user)} 正在输入…`;
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      $('typing').textContent = '';
    }, 4000);
  }

  /** Page became visible again: mark read and refresh receipts. */
  onVisible(): void {
    if (!this.current) return;
    void this.deps.client.markRead(this.current).catch(() => {});
    this.scheduleReceipts(0);
  }

  // ---- receipts ----

  private scheduleReceipts(delayMs: number): void {
    if (this.receiptTimer) return;
    this.receiptTimer = setTimeout(() => {
      this.receiptTimer = undefined;
      void this.refreshReceipts().catch(() => {});
    }, delayMs);
  }

  /** Direct: the peer's read mark (missed pushes while offline); groups: readers of my latest messages. */
  private async refreshReceipts(): Promise<void> {
    const conv = this.current;
    const { client, me } = this.deps;
    if (!conv || client.state !== 'connected') return;
    if (conv.startsWith('d:')) {
      const r = await client.api.call<{ user: string; readSeq: number }>('GET', `/api/conversations/${encodeURIComponent(conv)}/peer-read`);
      client.store.applyRead(conv, r.user, r.readSeq);
    } else {
      const mine = client
        .messages(conv)
        .filter((m) => m.from === me.id && m.status === 'sent' && !m.recalled)
        .slice(-RECEIPT_MESSAGES);
      if (!this.profiles.cachedMembers(conv.slice(2))) await this.profiles.members(conv.slice(2));
      const counts = this.reads.get(conv) ?? new Map<number, number>();
      for (const m of mine) counts.set(m.seq, (await this.readersOf(conv, m.seq)).length);
      this.reads.set(conv, counts);
    }
    if (this.current === conv) this.renderChat();
  }

  /** Members other than me who have read `seq` (first 500). */
  private async readersOf(conv: string, seq: number): Promise<string[]> {
    const r = await this.deps.client.api.call<{ readers: string[] }>('GET', `/api/groups/${encodeURIComponent(conv.slice(2))}/reads?seq=${seq}&limit=500`);
    return r.readers.filter((id) => id !== this.deps.me.id);
  }

  private async readers(m: ClientMessage): Promise<void> {
    showPanelNotice('消息接收人列表', '加载中…');
    try {
      const [readers, members] = await Promise.all([this.readersOf(m.conv, m.seq), this.profiles.members(m.conv.slice(2))]);
      const read = new Set(readers);
      this.reads.get(m.conv)?.set(m.seq, readers.length);
      const unread = members.map((x) => x.userId).filter((id) => id !== this.deps.me.id && !read.has(id));
      await this.profiles.load(readers).catch(() => {});
      showReaders(readers, unread, this.people);
      this.renderChat();
    } catch (e) {
      showPanelNotice('消息接收人列表', errorText(e));
    }
  }

  async showMembers(): Promise<void> {
    const conv = this.current;
    if (!conv?.startsWith('g:')) return;
    showPanelNotice('群成员', '加载中…');
    try {
      showMembers(await this.profiles.members(conv.slice(2)), this.people);
    } catch (e) {
      showPanelNotice('群成员', errorText(e));
    }
  }

  // ---- context menu ----

  private menu(m: ClientMessage, x: number, y: number): void {
    const items = [];
    const text = m.kind === 'text' ? String((m.body as { text?: unknown }).text ?? '') : '';
    if (text) items.push({ id: 'copy', label: '复制', icon: 'copy' as const, action: () => void copyText(text) });
    if (m.from === this.deps.me.id && m.status === 'sent' && Date.now() - m.ts < RECALL_WINDOW_MS) {
      items.push({
        id: 'recall',
        label: '撤回',
        icon: 'recall' as const,
        action: () => void this.deps.client.recall(m.conv, m.seq).catch((e) => toast(`撤回失败：${errorText(e)}`)),
      });
    }
    if (items.length) openMenu(x, y, items);
  }

  // ---- media ----

  /** Uploads a picked file with a progress bubble, then sends it as an image, video or file message. */
  async sendMedia(file: File): Promise<void> {
    const to = this.sendTarget();
    const conv = this.current;
    if (!to || !conv) return;
    const kind = file.type.startsWith('image/') ? 'image' : file.type.startsWith('video/') ? 'video' : 'file';
    const id = `up-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const upload: Upload = { id, conv, kind, name: file.name, loaded: 0, total: file.size, abort: () => {} };
    if (kind === 'image') upload.preview = URL.createObjectURL(file);
    const attempt = (token: string) => {
      const task = uploadWithProgress(this.deps.baseUrl, token, file, kind, (loaded, total) => {
        upload.loaded = loaded;
        upload.total = total;
        this.paintProgress(upload);
      });
      upload.abort = task.abort;
      return task.done;
    };
    this.uploads.push(upload);
    this.renderChat();
    try {
      let res: Awaited<ReturnType<typeof attempt>>;
      try {
        res = await attempt(this.deps.token());
      } catch (e) {
        if (!(e instanceof UploadError && e.code === 'unauthorized')) throw e;
        res = await attempt(await this.deps.refreshToken());
      }
      this.drop(upload);
      const { client } = this.deps;
      if (kind === 'image') await client.send(to, 'image', pick(res, ['url', 'width', 'height', 'size']));
      else if (kind === 'video') await client.send(to, 'video', pick(res, ['url', 'duration', 'size']));
      else await client.send(to, 'file', { url: res.url, name: file.name, size: res.size });
    } catch (e) {
      this.drop(upload);
      if (!(e instanceof UploadError && e.code === 'aborted')) toast(`发送失败：${errorText(e)}`);
    }
  }

  private drop(upload: Upload): void {
    this.uploads = this.uploads.filter((u) => u !== upload);
    if (upload.preview) URL.revokeObjectURL(upload.preview);
    this.renderChat();
  }

  /** Moves one progress bar without redrawing the list. */
  private paintProgress(u: Upload): void {
    const bar = document.querySelector<HTMLProgressElement>(`[data-upload="${u.id}"] progress`);
    if (!bar) return;
    const pct = u.total > 0 ? Math.round((u.loaded / u.total) * 100) : 0;
    bar.value = pct;
    bar.setAttribute('aria-label', `上传中 ${pct}%`);
  }

  private playAudio(url: string, el: HTMLElement): void {
    const same = this.audio.src === url && !this.audio.paused;
    this.audio.pause();
    for (const b of document.querySelectorAll('.audio.playing')) b.classList.remove('playing');
    if (same) return;
    this.audio.src = url;
    el.classList.add('playing');
    this.audio.onended = () => el.classList.remove('playing');
    void this.audio.play().catch(() => el.classList.remove('playing'));
  }
}

/** User ids a message mentions by id (sender, system notice members, recaller). */
function idsOf(m: ClientMessage): string[] {
  const ids = [m.from];
  const b = m.body as Record<string, unknown>;
  if (m.kind === 'system') {
    if (Array.isArray(b.userIds)) ids.push(...b.userIds.map(String));
    for (const k of ['by', 'userId', 'owner'] as const) if (typeof b[k] === 'string') ids.push(b[k] as string);
  }
  if (m.recalled) ids.push(m.recalled.by);
  return ids;
}

function pick<T>(src: object, keys: string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((src as Record<string, unknown>)[k] !== undefined) out[k] = (src as Record<string, unknown>)[k];
  return out as T;
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  toast('已复制');
}
