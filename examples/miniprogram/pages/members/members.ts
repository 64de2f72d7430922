/// <reference types="miniprogram-api-typings" />
/** Group members page: thin shell over `MembersLogic`. Opened as `?id=<groupId>`. */
import { getSession } from '../../lib/app-session.js';
import { initialMembersData, MembersLogic } from './members-logic.js';

let logic: MembersLogic | undefined;

Page({
  data: initialMembersData(),
  onLoad(query: { id?: string }) {
    logic = new MembersLogic(this, getSession());
    void logic.load(query).then(() => wx.setNavigationBarTitle({ title: `群成员(${this.data.count})` }));
  },
  onOpen(e: WechatMiniprogram.BaseEvent) {
    logic?.open(String(e.currentTarget.dataset.id ?? ''));
  },
});
