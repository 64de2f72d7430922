/**
 * The chat page's logic, free of `Page()`: messages as rows, sending (text, media, voice,
 * files) with upload progress and resend, recall and copy, typing, read receipts, older
 * messages on scroll to top, "stay at the bottom unless the reader scrolled up", drafts.
 * `chat.ts` delegates every handler here; tests drive it with a captured view.
 */
import { type ClientMessage, type Conversation, ImError, parseConvId } from '@miniim/sdk/wx';
import { type AppWx, toast } from '../../lib/app-wx.js';
import { errorText, mediaUrl } from '../../lib/format.js';
import type { PrivacyPrompt } from '../../lib/privacy.js';
import type { ImSession } from '../../lib/session.js';
import type { ViewSink } from '../../lib/view.js';
import { VoicePlayer } from '../../lib/voice-player.js';
import { buildItems, type ChatItem, type LocalUpload, type PickedFile } from './chat-items.js';
import { openFileMessage, PrivacyRefused, pickFile, pickMedia, playVideo } from './chat-media.js';
import { type MentionCandidate, MentionPicker } from './chat-mentions.js';
import { copyText, menuEntries, showMenu } from './chat-menu.js';
import { diffRows, emptyRendered, type RenderedRows } from './chat-render.js';
import { UploadQueue } from './chat-uploads.js';
import { VoiceInput } from './chat-voice.js';

/** The chat page's data. */
export interface ChatData {
  conv: string;
  title: string;
  isGroup: boolean;
  items: ChatItem[];
  baseUrl: string;
  /** Initial text of the input bar (the saved draft). */
  draft: string;
  stateText: string;
  typingText: string;
  hasMore: boolean;
  loadingOlder: boolean;
  scrollInto: string;
  newCount: number;
  muted: boolean;
  /** The privacy agreement popup (lib/privacy.ts). */
  privacy: PrivacyPrompt;
  /** Hold-to-talk instead of the keyboard (only once the microphone is allowed). */
  voiceMode: boolean;
  /** The @ picker (groups). */
  mention: { shown: boolean; candidates: MentionCandidate[] };
}

/** How long "正在输入…" stays without another typing frame. */
const TYPING_SHOWN_MS = 5_000;
/** Messages per history page. */
const PAGE = 20;

export function initialChatData(): ChatData {
  return {
    conv: '',
    title: '',
    isGroup: false,
    items: [],
    baseUrl: '',
    draft: '',
    stateText: '',
    typingText: '',
    hasMore: true,
    loadingOlder: false,
    scrollInto: '',
    newCount: 0,
    muted: false,
    privacy: { shown: false, referrer: '' },
    voiceMode: false,
    mention: { shown: false, candidates: [] },
  };
}

/** Logic of one open conversation. */
export class ChatLogic {
  conv = '';
  private target = '';
  private readonly offs: Array<() => void> = [];
  private readonly uploads: UploadQueue;
  private readonly player: VoicePlayer;
  private rendered: RenderedRows = emptyRendered();
  private atBottom = true;
  private visible = true;
  private renderQueued = false;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private typingFrom = '';
  private admin = false;
  private loading: Promise<void> | undefined;
  private mentions: MentionPicker | undefined;
  private groupLoaded: Promise<void> = Promise.resolve();

  constructor(
    private readonly view: ViewSink<ChatData>,
    private readonly session: ImSession,
  ) {
    this.uploads = new UploadQueue(session, () => this.queueRender());
    this.player = new VoicePlayer(
      session.wx,
      () => this.renderNow('none'),
      () => toast(this.wx, '语音播放失败'),
    );
  }

  private get wx(): AppWx {
    return this.session.wx;
  }

  private get me(): string {
    return this.session.user?.id ?? '';
  }

  /** Opens a conversation (`?conv=d:a:b` or `g:id`). Resolves once the first page is shown. */
  async open(query: { conv?: string }): Promise<void> {
    const client = this.session.need();
    const conv = decodeURIComponent(query.conv ?? '');
    const parsed = parseConvId(conv);
    if (!parsed) throw new ImError('bad_request', `conv: not a conversation id: ${conv}`);
    this.conv = conv;
    this.session.cache.touch(conv);
    if (parsed.kind === 'group') this.target = conv;
    else {
      const peer = parsed.a === this.me ? parsed.b : parsed.a;
      this.target = `u:${peer}`;
    }
    this.view.setData({
      conv,
      isGroup: parsed.kind === 'group',
      baseUrl: this.session.baseUrl,
      draft: this.session.draft(conv),
      title: this.titleOf(client.conversation(conv)),
    });
    this.offs.push(
      client.on('message', (m) => {
        if (m.conv === this.conv) this.onMessage(m);
      }),
      client.on('conversations', () => this.queueRender()),
      client.on('read', (r) => {
        if (r.conv === this.conv && r.user !== this.me) this.queueRender();
      }),
      client.on('typing', (t) => {
        if (t.conv === this.conv && t.user !== this.me) this.showTyping(t.user);
      }),
      client.on('state', (c) => {
        if (c.newState === 'connected' && this.view.data.items.length === 0) void this.loadFirst();
      }),
      this.session.status.watch((stateText) => {
        if (stateText !== this.view.data.stateText) this.view.setData({ stateText });
      }),
      this.session.privacy.listen((privacy) => this.view.setData({ privacy })),
    );
    if (parsed.kind === 'group') {
      this.mentions = new MentionPicker(this.session, parsed.groupId);
      this.groupLoaded = this.loadGroup(parsed.groupId);
    } else void this.session.lookupUsers([this.target.slice(2)]).then(() => this.renderNow());
    this.renderNow('bottom');
    await this.loadFirst();
  }

  /** Page `onShow`: marks read again (messages may have come while hidden). */
  show(): void {
    this.visible = true;
    void this.markRead();
  }

  /** Page `onHide`. */
  hide(): void {
    this.visible = false;
  }

  /** Page `onUnload`: stop listening. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.player.destroy();
    if (this.typingTimer !== undefined) clearTimeout(this.typingTimer);
  }

  private async loadGroup(id: string): Promise<void> {
    try {
      const group = await this.session.need().getGroup(id);
      this.admin = group.owner === this.me || group.admins.includes(this.me);
      this.view.setData({ title: group.name, muted: !!group.muted });
    } catch {
      // the title falls back to what the conversation list knows
    }
  }

  private titleOf(c: Conversation | undefined): string {
    if (c?.kind === 'group') return c.group?.name || c.conv.slice(2);
    const peer = this.target.slice(2);
    return c?.peer?.nickname || this.session.userOf(peer)?.nickname || peer;
  }

  private async loadFirst(): Promise<void> {
    if (this.loading) return this.loading;
    const client = this.session.need();
    if (client.store.syncedSeq(this.conv) !== undefined) {
      this.view.setData({ hasMore: client.store.hasMoreBefore(this.conv) });
      this.renderNow('bottom');
      void this.markRead();
      // Too few held to scroll (the conversation's first message seen here arrived live):
      // no scroll reaches the top to load the page before them, so it loads now.
      if (client.state === 'connected' && client.store.hasMoreBefore(this.conv) && client.store.messages(this.conv).length < PAGE) {
        await this.loadPage('bottom');
      }
      return;
    }
    if (client.state !== 'connected') return; // the 'state' listener loads once connected
    this.loading = (async () => {
      try {
        const page = await client.loadHistory(this.conv, PAGE);
        this.view.setData({ hasMore: page.hasMore });
        this.renderNow('bottom');
        void this.markRead();
      } catch (err) {
        if (!(err instanceof ImError && err.code === 'unavailable')) toast(this.wx, '加载消息失败');
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** `scrolltoupper`: loads the page before the oldest message, keeping the reader's place. */
  async loadOlder(): Promise<void> {
    const d = this.view.data;
    if (d.loadingOlder || !d.hasMore) return;
    const client = this.session.need();
    if (client.store.syncedSeq(this.conv) === undefined) return this.loadFirst();
    await this.loadPage('keep');
  }

  /**
   * The page before the oldest message held; `keep` brings the row that was on top back to the
   * top (the view does not jump), `bottom` shows the newest.
   */
  private async loadPage(place: 'keep' | 'bottom'): Promise<void> {
    if (this.view.data.loadingOlder) return;
    const client = this.session.need();
    const firstAnchor = this.view.data.items[0]?.anchor ?? '';
    this.view.setData({ loadingOlder: true });
    try {
      const page = await client.loadHistory(this.conv, PAGE);
      this.view.setData({ hasMore: page.hasMore });
      if (place === 'keep') {
        this.renderNow('none');
        this.view.setData({ scrollInto: firstAnchor });
      } else this.renderNow('bottom');
    } catch {
      toast(this.wx, '加载失败，请稍后重试');
    } finally {
      this.view.setData({ loadingOlder: false });
    }
  }

  // ---- rendering ----

  private onMessage(m: ClientMessage): void {
    if (m.from === this.typingFrom) this.clearTyping();
    if (m.from !== this.me && m.seq > 0) void this.session.lookupUsers([m.from]).then((fetched) => fetched && this.queueRender());
    this.queueRender();
  }

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    setTimeout(() => {
      this.renderQueued = false;
      if (this.conv) this.renderNow();
    }, 0);
  }

  /**
   * Rebuilds the rows. `bottom` scrolls to the newest; `auto` scrolls when the reader was at
   * the bottom or sent the new message, else counts it for the "new messages" pill.
   */
  renderNow(scroll: 'bottom' | 'auto' | 'none' = 'auto'): void {
    const client = this.session.client;
    if (!client) return;
    const c = client.conversation(this.conv);
    const all = [...client.messages(this.conv), ...this.uploads.rows];
    const items = buildItems(all, {
      playingKey: this.player.playingKey,
      me: this.me,
      group: this.view.data.isGroup,
      peerReadSeq: c?.peerReadSeq ?? 0,
      nameOf: (id) => this.session.nameOf(id),
      avatarOf: (id) => mediaUrl(this.session.userOf(id)?.avatarUrl, this.session.baseUrl),
    });
    const beforeKeys = new Set(this.rendered.keys);
    const lastBefore = this.rendered.keys[this.rendered.keys.length - 1];
    const last = items[items.length - 1];
    const appended = !!last && last.key !== lastBefore && !beforeKeys.has(last.key);
    const diff = diffRows(this.rendered, items);
    this.rendered = diff.rendered;
    const patch = diff.patch;
    if (!this.view.data.isGroup && c) {
      const title = this.titleOf(c);
      if (title !== this.view.data.title) patch.title = title;
    }
    if (scroll === 'bottom' || (scroll === 'auto' && appended && (this.atBottom || last.mine))) {
      patch.scrollInto = last?.anchor ?? '';
      patch.newCount = 0;
      this.atBottom = true;
    } else if (scroll === 'auto' && appended) {
      const added = items.filter((i) => !beforeKeys.has(i.key) && !i.mine).length;
      patch.newCount = this.view.data.newCount + Math.max(1, added);
    }
    if (Object.keys(patch).length) this.view.setData(patch);
    if (appended && !last.mine && this.atBottom) void this.markRead();
  }

  /**
   * `bindscroll` with the scroll-view's height: tracks whether the reader is at the bottom.
   * Scrolling up clears `scrollInto`, so the next "scroll to the bottom" is a change again.
   */
  onScroll(detail: { scrollTop: number; scrollHeight: number }, viewHeight: number): void {
    const atBottom = detail.scrollHeight - detail.scrollTop - viewHeight < 80;
    if (atBottom === this.atBottom) return;
    this.atBottom = atBottom;
    if (atBottom) this.onReachBottom();
    else if (this.view.data.scrollInto) this.view.setData({ scrollInto: '' });
  }

  /** `scrolltolower`: the reader is at the newest message again. */
  onReachBottom(): void {
    this.atBottom = true;
    if (this.view.data.newCount) this.view.setData({ newCount: 0 });
    void this.markRead();
  }

  /** Tap on the "new messages" pill. */
  jumpToBottom(): void {
    this.renderNow('bottom');
    void this.markRead();
  }

  private async markRead(): Promise<void> {
    const client = this.session.client;
    if (!client || !this.visible || !this.atBottom) return;
    const c = client.conversation(this.conv);
    if (!c || c.unread === 0) return;
    await client.markRead(this.conv).catch(() => {});
  }

  private showTyping(user: string): void {
    this.typingFrom = user;
    const text = this.view.data.isGroup ? `${this.session.nameOf(user)} 正在输入…` : '对方正在输入…';
    this.view.setData({ typingText: text });
    if (this.typingTimer !== undefined) clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.clearTyping(), TYPING_SHOWN_MS);
  }

  private clearTyping(): void {
    if (this.typingTimer !== undefined) clearTimeout(this.typingTimer);
    this.typingTimer = undefined;
    this.typingFrom = '';
    if (this.view.data.typingText) this.view.setData({ typingText: '' });
  }

  // ---- input ----

  /** Text typed: kept as the draft (storage too) and a throttled typing frame. */
  onInput(text: string): void {
    this.session.setDraft(this.conv, text);
    if (text && this.session.client?.state === 'connected') this.session.client.typing(this.target);
  }

  /** Sends a text. The SDK shows it at once ("sending") and queues it while offline. */
  async sendText(text: string): Promise<ClientMessage | undefined> {
    const t = text.trim();
    if (!t) return undefined;
    this.session.setDraft(this.conv, '');
    this.atBottom = true;
    try {
      return await this.session.need().sendText(this.target, t, this.mentions?.entities(t) ?? {});
    } catch (err) {
      this.explain(err);
      return undefined;
    }
  }

  /** "@" typed in a group: the member picker. */
  async openMentions(): Promise<void> {
    if (!this.mentions) return;
    await this.groupLoaded; // whether "所有人" is offered depends on my role
    try {
      this.view.setData({ mention: { shown: true, candidates: await this.mentions.candidates(this.admin) } });
    } catch {
      toast(this.wx, '成员加载失败');
    }
  }

  /** A member picked (or `''`: closed): "@昵称 " goes into the text (the draft). */
  pickMention(userId: string): void {
    const c = this.view.data.mention.candidates.find((x) => x.userId === userId);
    this.view.setData({ mention: { shown: false, candidates: [] } });
    if (!c || !this.mentions) return;
    const text = this.mentions.pick(this.session.draft(this.conv), c);
    this.session.setDraft(this.conv, text);
    this.view.setData({ draft: text });
  }

  /** "+" panel: album (images and videos), camera, or a file from a chat. */
  async pick(source: 'album' | 'camera' | 'file'): Promise<void> {
    try {
      const files = source === 'file' ? await pickFile(this.wx) : await pickMedia(this.wx, source);
      await Promise.all(files.map((f) => this.sendFile(f)));
    } catch (err) {
      if (err instanceof PrivacyRefused) toast(this.wx, '需要同意隐私保护指引才能选择文件');
      else if (err instanceof ImError && err.code === 'bad_request') toast(this.wx, err.message);
    }
  }

  /**
   * Uploads a picked file with progress (cancellable), then sends it under the clientMsgId the
   * row already had, so the row becomes the message in place. A failed upload stays, tap to resend.
   */
  async sendFile(file: PickedFile, reuse?: LocalUpload): Promise<ClientMessage | undefined> {
    const up = reuse ?? this.uploads.add(this.conv, this.me, file);
    this.atBottom = true;
    const running = this.uploads.run(up);
    this.renderNow('bottom');
    const outcome = await running;
    if (outcome.kind === 'cancelled') {
      this.renderNow('none');
      return undefined;
    }
    if (outcome.kind === 'failed') {
      this.renderNow('none');
      this.explain(outcome.error, '上传失败，点击重发');
      return undefined;
    }
    this.uploads.remove(up.id);
    const sending = this.session.need().send(this.target, file.kind, outcome.body, { clientMsgId: up.id });
    this.renderNow('none');
    try {
      return await sending;
    } catch (err) {
      this.explain(err);
      return undefined;
    } finally {
      this.queueRender();
    }
  }

  /** The bubble's "取消" on an upload. */
  cancelUpload(key: string): void {
    if (this.uploads.cancel(key.replace(/^c-/, ''))) this.renderNow('none');
  }

  private voice: VoiceInput | undefined;

  private get voiceInput(): VoiceInput {
    this.voice ??= new VoiceInput(this.wx, (file) => void this.sendFile(file));
    return this.voice;
  }

  /** The keyboard / microphone switch (the microphone is asked here, up front). */
  async setVoiceMode(voice: boolean): Promise<boolean> {
    const on = voice && (await this.voiceInput.allow());
    this.view.setData({ voiceMode: on });
    return on === voice;
  }

  /** Hold to talk: touchstart. */
  voiceStart(): void {
    this.voiceInput.start();
  }

  /** Hold to talk: touchend (send) or slid away (`cancel`). */
  voiceEnd(cancel = false): void {
    this.voiceInput.end(cancel);
  }

  /** Tap on a failed bubble: send it again (same clientMsgId, or the upload again). */
  async resend(key: string): Promise<void> {
    const item = this.view.data.items.find((i) => i.key === key);
    if (item?.msg.status !== 'failed') return;
    const m = item.msg;
    if ('file' in m) {
      await this.sendFile(
        m.file,
        this.uploads.rows.find((u) => u.id === m.id),
      );
      return;
    }
    await this.session
      .need()
      .retry(m)
      .catch((err) => this.explain(err));
  }

  /** Long-press menu entries for a row. */
  menuFor(key: string): string[] {
    return menuEntries(
      this.view.data.items.find((i) => i.key === key),
      this.me,
      this.view.data.isGroup && this.admin,
    );
  }

  /** Long press: shows the menu (`wx.showActionSheet`) and runs the choice. */
  longPress(key: string): Promise<void> {
    return showMenu(this.wx, this.menuFor(key), (action) => this.menuAction(key, action));
  }

  /** Runs a menu entry: "复制" or "撤回". */
  async menuAction(key: string, action: string | undefined): Promise<void> {
    const item = this.view.data.items.find((i) => i.key === key);
    if (!item || 'file' in item.msg) return;
    const m = item.msg;
    if (action === '复制') await copyText(this.wx, String((m.body as { text?: unknown }).text ?? ''));
    else if (action === '撤回') {
      try {
        await this.session.need().recall(m.conv, m.seq);
      } catch (err) {
        if (err instanceof ImError && err.code === 'recall_window_passed') toast(this.wx, '已超过可撤回的时间');
        else this.explain(err, '撤回失败');
      }
    }
  }

  /** Tap on an image: `wx.previewImage` over every image of the conversation. */
  previewImage(url: string): void {
    const urls = this.view.data.items
      .filter((i) => i.msg.kind === 'image' && !('recalled' in i.msg && i.msg.recalled))
      .map((i) => mediaUrl((i.msg.body as { url?: string }).url, this.session.baseUrl))
      .filter(Boolean);
    this.wx.previewImage({ current: url, urls: urls.length ? urls : [url] });
  }

  /** Tap on a voice message: one shared player, the previous clip stops. */
  playAudio(key: string, url: string): void {
    this.player.toggle(key, url);
  }

  /** Tap on a video: full-screen player with its cover. */
  playVideo(url: string, cover: string): void {
    playVideo(this.wx, url, cover);
  }

  /** Tap on a file: download and open it (documents and PDFs). */
  async openFile(url: string, name: string): Promise<void> {
    const r = await openFileMessage(this.wx, url, name);
    if (r === 'unsupported') toast(this.wx, '暂不支持打开此类文件');
    else if (r === 'failed') toast(this.wx, '文件打开失败');
  }

  // ---- privacy popup ----

  /** The agreement button (`bindagreeprivacyauthorization`). */
  agreePrivacy(): void {
    this.session.privacy.agree();
  }

  /** "拒绝". */
  disagreePrivacy(): void {
    this.session.privacy.disagree();
  }

  private explain(err: unknown, fallback = '发送失败'): void {
    toast(this.wx, errorText(err, fallback));
  }
}
