/// <reference types="miniprogram-api-typings" />
/** Chat page: thin shell over `ChatLogic` (chat-logic.ts). Opened as `/pages/chat/chat?conv=<id>`. */
import { getSession } from '../../lib/app-session.js';
import { privacyPageHandlers } from '../../lib/privacy-page.js';
import { ChatLogic, initialChatData } from './chat-logic.js';

type Ev<T extends WechatMiniprogram.IAnyObject> = WechatMiniprogram.CustomEvent<T>;
let logic: ChatLogic | undefined;
let viewHeight = 600;

Page({
  data: { ...initialChatData(), me: '' },
  onLoad(query: { conv?: string }) {
    const session = getSession();
    if (!session.loggedIn) {
      wx.reLaunch({ url: '/pages/login/login' });
      return;
    }
    this.setData({ me: session.user?.id ?? '' });
    logic = new ChatLogic(this, session);
    logic.open(query).then(
      () => wx.setNavigationBarTitle({ title: String(this.data.title) }),
      () => wx.showToast({ title: '会话不存在', icon: 'none' }),
    );
  },
  onReady() {
    wx.createSelectorQuery()
      .select('.chat-list')
      .boundingClientRect((r) => {
        if (r) viewHeight = r.height;
      })
      .exec();
  },
  onShow() {
    logic?.show();
  },
  onHide() {
    logic?.hide();
  },
  onUnload() {
    logic?.close();
    logic = undefined;
  },
  onReachTop() {
    void logic?.loadOlder();
  },
  onReachBottom() {
    logic?.onReachBottom();
  },
  onScroll(e: Ev<{ scrollTop: number; scrollHeight: number }>) {
    logic?.onScroll(e.detail, viewHeight);
  },
  onPill() {
    logic?.jumpToBottom();
  },
  onDraft(e: Ev<{ value: string }>) {
    logic?.onInput(e.detail.value);
  },
  onSend(e: Ev<{ text: string }>) {
    void logic?.sendText(e.detail.text);
  },
  onPick(e: Ev<{ source: 'album' | 'camera' | 'file' }>) {
    void logic?.pick(e.detail.source);
  },
  onVoiceStart() {
    logic?.voiceStart();
  },
  onVoiceEnd(e: Ev<{ cancel: boolean }>) {
    logic?.voiceEnd(e.detail.cancel);
  },
  onResend(e: Ev<{ key: string }>) {
    void logic?.resend(e.detail.key);
  },
  onMenu(e: Ev<{ key: string }>) {
    void logic?.longPress(e.detail.key);
  },
  onPreview(e: Ev<{ url: string }>) {
    logic?.previewImage(e.detail.url);
  },
  onPlay(e: Ev<{ key: string; url: string }>) {
    logic?.playAudio(e.detail.key, e.detail.url);
  },
  onVideo(e: Ev<{ url: string; cover: string }>) {
    logic?.playVideo(e.detail.url, e.detail.cover);
  },
  onOpenFile(e: Ev<{ url: string; name: string }>) {
    void logic?.openFile(e.detail.url, e.detail.name);
  },
  onCancelUpload(e: Ev<{ key: string }>) {
    logic?.cancelUpload(e.detail.key);
  },
  onMention() {
    void logic?.openMentions();
  },
  onPickMention(e: WechatMiniprogram.BaseEvent) {
    logic?.pickMention(String(e.currentTarget.dataset.id ?? ''));
  },
  onModeChange(e: Ev<{ voice: boolean }>) {
    void logic?.setVoiceMode(e.detail.voice);
  },
  ...privacyPageHandlers,
  onGroupSettings() {
    wx.navigateTo({ url: `/pages/group/group?id=${encodeURIComponent(String(this.data.conv).slice(2))}` });
  },
});
