/// <reference types="miniprogram-api-typings" />
/** "发起群聊" page: thin shell over `GroupCreateLogic` (group-create-logic.ts). */
import { getSession } from '../../lib/app-session.js';
import { GroupCreateLogic, initialGroupCreateData } from './group-create-logic.js';

let logic: GroupCreateLogic | undefined;

Page({
  data: { ...initialGroupCreateData(), addId: '' },
  onLoad() {
    logic = new GroupCreateLogic(this, getSession());
    logic.load();
  },
  onName(e: WechatMiniprogram.Input) {
    logic?.setName(e.detail.value);
  },
  onToggle(e: WechatMiniprogram.BaseEvent) {
    logic?.toggle(String(e.currentTarget.dataset.id));
  },
  onAddInput(e: WechatMiniprogram.Input) {
    this.setData({ addId: e.detail.value });
  },
  async onAdd() {
    if (await logic?.addById(String(this.data.addId))) this.setData({ addId: '' });
  },
  onCreate() {
    void logic?.create();
  },
});
