/// <reference types="miniprogram-api-typings" />
/** Conversation list page: thin shell over `ListLogic` (list-logic.ts). */
import { config } from '../../config.js';
import { getSession } from '../../lib/app-session.js';
import { initialListData, ListLogic } from './list-logic.js';

let logic: ListLogic | undefined;

Page({
  data: { ...initialListData(), newChatId: '' },
  onLoad() {
    const session = getSession();
    if (!session.loggedIn) {
      wx.reLaunch({ url: '/pages/login/login' });
      return;
    }
    logic = new ListLogic(this, session, config.subscribeTemplateIds);
    logic.load();
  },
  onShow() {
    logic?.show();
  },
  onUnload() {
    logic?.unload();
    logic = undefined;
  },
  onPullDownRefresh() {
    void logic?.refresh();
  },
  onOpen(e: WechatMiniprogram.CustomEvent<{ conv: string }>) {
    logic?.open(e.detail.conv);
  },
  onRowMenu(e: WechatMiniprogram.CustomEvent<{ conv: string }>) {
    void logic?.longPress(e.detail.conv);
  },
  onNewChatInput(e: WechatMiniprogram.Input) {
    this.setData({ newChatId: e.detail.value });
  },
  onStartChat() {
    if (logic?.startChat(String(this.data.newChatId))) this.setData({ newChatId: '' });
  },
  onNewGroup() {
    wx.navigateTo({ url: '/pages/group-create/group-create' });
  },
  onProfile() {
    wx.navigateTo({ url: '/pages/me/me' });
  },
  onSubscribe() {
    void logic?.enableNotifications();
  },
});
