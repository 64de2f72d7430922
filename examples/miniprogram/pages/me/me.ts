/// <reference types="miniprogram-api-typings" />
/** "Me" page: thin shell over `MeLogic`. */
import { getSession } from '../../lib/app-session.js';
import { initialMeData, MeLogic } from './me-logic.js';

let logic: MeLogic | undefined;

Page({
  data: initialMeData(),
  onLoad() {
    logic = new MeLogic(this, getSession());
  },
  onShow() {
    void logic?.show();
  },
  onEdit() {
    logic?.editProfile();
  },
  onSubscribe() {
    void logic?.subscribe();
  },
  onPrivacy() {
    getSession().privacy.openContract();
  },
  onLogout() {
    void logic?.logout();
  },
});
