/// <reference types="miniprogram-api-typings" />
/** Group settings page: thin shell over `GroupLogic` (group-logic.ts). Opened as `?id=<groupId>`. */
import { getSession } from '../../lib/app-session.js';
import { GroupLogic, initialGroupData } from './group-logic.js';

let logic: GroupLogic | undefined;

Page({
  data: { ...initialGroupData(), addIds: '' },
  onLoad(query: { id?: string }) {
    logic = new GroupLogic(this, getSession());
    logic.load(query).catch(() => wx.showToast({ title: '加载失败', icon: 'none' }));
  },
  onAllMembers() {
    wx.navigateTo({ url: `/pages/members/members?id=${encodeURIComponent(String(this.data.id))}` });
  },
  onAddInput(e: WechatMiniprogram.Input) {
    this.setData({ addIds: e.detail.value });
  },
  async onAdd() {
    if (await logic?.addMembers(String(this.data.addIds))) this.setData({ addIds: '' });
  },
  onRemove(e: WechatMiniprogram.BaseEvent) {
    const { id, name } = e.currentTarget.dataset as { id: string; name: string };
    wx.showModal({
      content: `将 ${name} 移出群聊？`,
      success: (r) => {
        if (r.confirm) void logic?.removeMember(id);
      },
    });
  },
  onRename(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
    if (e.detail.value.trim() && e.detail.value !== this.data.name) void logic?.rename(e.detail.value);
  },
  onMute(e: WechatMiniprogram.SwitchChange) {
    void logic?.setMuted(e.detail.value);
  },
  onLeave() {
    wx.showModal({
      content: '退出后不会再收到此群聊的消息',
      confirmText: '退出',
      success: (r) => {
        if (r.confirm) void logic?.leave();
      },
    });
  },
});
