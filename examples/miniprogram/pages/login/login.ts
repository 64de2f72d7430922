/// <reference types="miniprogram-api-typings" />
/** Login and profile page: thin shell over `LoginLogic` (login-logic.ts). */
import { config } from '../../config.js';
import { getSession } from '../../lib/app-session.js';
import { privacyPageHandlers } from '../../lib/privacy-page.js';
import { initialLoginData, LoginLogic } from './login-logic.js';

let logic: LoginLogic | undefined;

Page({
  data: { ...initialLoginData(), devNickname: '' },
  onLoad(query: { profile?: string; ended?: string }) {
    logic = new LoginLogic(this, getSession(), config.devLogin);
    void logic.load(query);
  },
  onUnload() {
    logic?.unload();
    logic = undefined;
  },
  ...privacyPageHandlers,
  onWechatLogin() {
    void logic?.wechatLogin();
  },
  onUserId(e: WechatMiniprogram.Input) {
    this.setData({ userId: e.detail.value });
  },
  onDevNickname(e: WechatMiniprogram.Input) {
    this.setData({ devNickname: e.detail.value });
  },
  onDevLogin() {
    void logic?.devLogin(String(this.data.userId), String(this.data.devNickname));
  },
  onChooseAvatar(e: WechatMiniprogram.CustomEvent<{ avatarUrl: string }>) {
    logic?.chooseAvatar(e.detail.avatarUrl);
  },
  onNickname(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
    logic?.setNickname(e.detail.value);
  },
  onGetPhoneNumber(e: WechatMiniprogram.CustomEvent<{ code?: string; errMsg: string }>) {
    void logic?.bindPhone(e.detail);
  },
  onSave() {
    void logic?.saveProfile();
  },
  onSkip() {
    logic?.skip();
  },
});
