/**
 * The conversation list's logic, free of `Page()`: rows with last-message preview, unread
 * badge, @ mark, draft and time; pull to refresh; open a chat; start a direct chat by id;
 * the offline-notification prompt. `index.ts` delegates here; tests drive it with a captured view.
 */
import { type Conv, type Conversation, directConvId, ImError } from '@miniim/sdk/wx';
import { confirmModal, toast } from '../../lib/app-wx.js';
import { mediaUrl, previewText } from '../../lib/format.js';
import { ListPrefs } from '../../lib/list-prefs.js';
import type { ImSession } from '../../lib/session.js';
import { requestNotifications, subscribeTemplateIds } from '../../lib/subscribe.js';
import type { ViewSink } from '../../lib/view.js';

/** One row of the list, as `<conversation-item item="{{...}}">` gets it. */
export interface ConvItem {
  conv: string;
  kind: 'direct' | 'group';
  title: string;
  avatarUrl: string;
  preview: string;
  /** Unsent text of this conversation ("[草稿]" row). */
  draft: string;
  ts: number;
  unread: number;
  mentioned: boolean;
  muted: boolean;
  /** Pinned to the top (long press → 置顶聊天). */
  pinned: boolean;
}

export interface ListData {
  items: ConvItem[];
  stateText: string;
  loaded: boolean;
  me: { id: string; nickname: string; avatarUrl: string };
  baseUrl: string;
  /** Whether the "开启消息提醒" entry is shown (templates configured). */
  canSubscribe: boolean;
  totalUnread: number;
}

export function initialListData(): ListData {
  return {
    items: [],
    stateText: '',
    loaded: false,
    me: { id: '', nickname: '', avatarUrl: '' },
    baseUrl: '',
    canSubscribe: false,
    totalUnread: 0,
  };
}

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Logic of the conversation list. */
export class ListLogic {
  private readonly offs: Array<() => void> = [];
  private queued = false;
  /** Group names fetched for conversations the server listed without group info yet. */
  private readonly groups = new Map<string, { name: string; avatarUrl: string; muted?: boolean }>();
  private readonly fetching = new Set<string>();
  private prefsOf: ListPrefs | undefined;

  /** Pins and deletions of this user (created once the user is known). */
  private get prefs(): ListPrefs {
    this.prefsOf ??= new ListPrefs(this.session.wx, `miniim:list:${this.session.user?.id ?? ''}`);
    return this.prefsOf;
  }

  constructor(
    private readonly view: ViewSink<ListData>,
    private readonly session: ImSession,
    /** Used only when the server cannot be asked for its template ids. */
    private readonly fallbackTemplateIds: string[] = [],
  ) {}

  /** Subscribe-message template ids, from the server's subscribe endpoint. */
  private templateIds: string[] = [];
  private idsLoaded: Promise<void> = Promise.resolve();
  private idsReady = false;

  /** Page `onLoad`: follow the client's list and connection state. */
  load(): void {
    const client = this.session.need();
    this.offs.push(
      client.on('conversations', () => this.queueRender()),
      this.session.status.watch((stateText) => {
        if (stateText !== this.view.data.stateText) this.view.setData({ stateText });
      }),
      client.on('synced', () => {
        this.view.setData({ loaded: true });
        this.queueRender();
      }),
    );
    this.view.setData({ baseUrl: this.session.baseUrl });
    this.idsLoaded = subscribeTemplateIds(this.session, this.fallbackTemplateIds).then((ids) => {
      this.templateIds = ids;
      this.idsReady = true;
      this.view.setData({ canSubscribe: ids.length > 0 });
    });
    this.render();
  }

  /** Page `onShow`: drafts and names may have changed while another page was open. */
  show(): void {
    this.render();
  }

  /** Page `onUnload`. */
  unload(): void {
    for (const off of this.offs.splice(0)) off();
  }

  private queueRender(): void {
    if (this.queued) return;
    this.queued = true;
    setTimeout(() => {
      this.queued = false;
      this.render();
    }, 0);
  }

  /** Rebuilds the rows from the SDK's store. */
  render(): void {
    const client = this.session.client;
    if (!client) return;
    const me = this.session.user;
    const list = client.conversations();
    for (const c of list) this.session.remember(c.peer);
    // Names not known yet: senders of group previews, peers of brand-new direct chats.
    const unknown = list
      .map((c) => (c.kind === 'group' ? (c.lastMessage?.from ?? '') : c.peer ? '' : this.peerOf(c.conv)))
      .filter((id) => id && id !== me?.id && !this.session.userOf(id));
    if (unknown.length) void this.session.lookupUsers(unknown).then((got) => got && this.queueRender());
    for (const c of list) if (c.kind === 'group' && !c.group) this.fetchGroup(c.conv.slice(2));
    const items = list
      .filter((c) => !this.prefs.hidden(c.conv, c.lastSeq))
      .map((c) => this.row(c))
      .sort((a, b) => {
        const pa = this.prefs.pinRank(a.conv);
        const pb = this.prefs.pinRank(b.conv);
        if (pa >= 0 || pb >= 0) return (pa < 0 ? Infinity : pa) - (pb < 0 ? Infinity : pb);
        return 0; // the SDK's order: newest activity first
      });
    this.view.setData({
      items,
      totalUnread: items.reduce((n, i) => n + (i.muted ? 0 : i.unread), 0),
      me: { id: me?.id ?? '', nickname: me?.nickname ?? '', avatarUrl: mediaUrl(me?.avatarUrl, this.session.baseUrl) },
    });
  }

  private fetchGroup(id: string): void {
    if (this.groups.has(id) || this.fetching.has(id)) return;
    this.fetching.add(id);
    this.session
      .need()
      .getGroup(id)
      .then((g) => {
        this.groups.set(id, g);
        this.queueRender();
      })
      .catch(() => {})
      .finally(() => this.fetching.delete(id));
  }

  /** The server's `mentioned` (from the list sync), or an unread message held here that @-mentions me. */
  private mentionedMe(c: Conversation): boolean {
    if (c.unread <= 0) return false;
    if (c.mentioned) return true;
    const me = this.session.user?.id ?? '';
    return this.session
      .need()
      .messages(c.conv)
      .some((m) => {
        if (m.seq <= c.readSeq || m.from === me || m.kind !== 'text' || m.recalled) return false;
        const b = m.body as { mentions?: unknown; mentionAll?: unknown };
        return b.mentionAll === true || (Array.isArray(b.mentions) && b.mentions.includes(me));
      });
  }

  private row(c: Conversation): ConvItem {
    const me = this.session.user?.id ?? '';
    const last = c.lastMessage;
    const group = c.kind === 'group';
    const sender = group && last && last.from !== me ? this.session.nameOf(last.from) : undefined;
    const info = group ? (c.group ?? this.groups.get(c.conv.slice(2))) : undefined;
    const title = group ? info?.name || '群聊' : c.peer?.nickname || this.session.nameOf(this.peerOf(c.conv));
    return {
      conv: c.conv,
      kind: c.kind,
      title,
      avatarUrl: mediaUrl(group ? info?.avatarUrl : c.peer?.avatarUrl, this.session.baseUrl),
      preview: previewText(last, me, sender),
      draft: this.session.draft(c.conv),
      ts: c.updatedAt || last?.ts || 0,
      unread: c.unread,
      mentioned: this.mentionedMe(c),
      muted: !!info?.muted,
      pinned: this.prefs.isPinned(c.conv),
    };
  }

  private peerOf(conv: string): string {
    const me = this.session.user?.id ?? '';
    const [, a = '', b = ''] = conv.split(':');
    return a === me ? b : a;
  }

  /** Pull to refresh: asks the server for the list again (reconnecting first if needed). */
  async refresh(): Promise<void> {
    const client = this.session.need();
    try {
      if (client.state !== 'connected') {
        client.resume();
        await client.waitConnected(8_000);
      }
      const reply = await client.request<{ conversations: Conv[] }>({ op: 'convs', limit: 100 });
      for (const c of reply.conversations) client.store.applyConv(c);
      this.render();
    } catch {
      toast(this.session.wx, '刷新失败，请检查网络');
    } finally {
      this.session.wx.stopPullDownRefresh();
    }
  }

  /** The chat page's URL for a conversation. */
  chatUrl(conv: string): string {
    return `/pages/chat/chat?conv=${encodeURIComponent(conv)}`;
  }

  /** Tap on a row. */
  open(conv: string): void {
    this.session.wx.navigateTo({ url: this.chatUrl(conv) });
  }

  /** Long press on a row: 置顶聊天 / 取消置顶, 删除该聊天 (confirmed). */
  longPress(conv: string): Promise<void> {
    const pinned = this.prefs.isPinned(conv);
    const entries = [pinned ? '取消置顶' : '置顶聊天', '删除该聊天'];
    return new Promise((resolve) => {
      this.session.wx.showActionSheet({
        itemList: entries,
        success: (res) => void this.menuAction(conv, entries[res.tapIndex]).then(resolve),
        fail: () => resolve(),
      });
    });
  }

  /** Runs a list menu entry. Deleting hides the row and its draft until a new message comes. */
  async menuAction(conv: string, action: string | undefined): Promise<void> {
    if (action === '置顶聊天' || action === '取消置顶') this.prefs.setPinned(conv, action === '置顶聊天');
    else if (action === '删除该聊天') {
      const ok = await confirmModal(this.session.wx, '删除后，将清空该聊天的消息记录', '删除');
      if (!ok) return;
      this.prefs.hide(conv, this.session.need().conversation(conv)?.lastSeq ?? 0);
      this.session.setDraft(conv, '');
    }
    this.render();
  }

  /** "发起聊天": opens the direct chat with a user id. */
  startChat(userId: string): boolean {
    const id = userId.trim();
    const me = this.session.user?.id ?? '';
    if (!USER_ID.test(id) || id === me) {
      toast(this.session.wx, id === me ? '不能和自己聊天' : '用户 ID 只能包含字母、数字、_ 和 -');
      return false;
    }
    this.open(directConvId(me, id));
    return true;
  }

  /** "开启消息提醒" (must run from a tap): `wx.requestSubscribeMessage`, then report to the server. */
  async enableNotifications(): Promise<string> {
    try {
      // WeChat wants the prompt straight from the tap: wait only if the ids are not in yet.
      if (!this.idsReady) await this.idsLoaded;
      const outcome = await requestNotifications(this.session, this.templateIds);
      const text =
        outcome === 'accepted'
          ? '已开启消息提醒'
          : outcome === 'not_configured'
            ? '服务器未配置消息提醒'
            : outcome === 'needs_wechat'
              ? '请使用微信登录后开启'
              : outcome === 'rejected'
                ? '未开启消息提醒'
                : '暂时无法开启消息提醒';
      toast(this.session.wx, text);
      return outcome;
    } catch (err) {
      toast(this.session.wx, err instanceof ImError ? '上报失败，请稍后重试' : '暂时无法开启消息提醒');
      return 'failed';
    }
  }
}
