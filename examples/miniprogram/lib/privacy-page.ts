/// <reference types="miniprogram-api-typings" />
/** The `<privacy-popup>` handlers every page with the popup spreads into its `Page({...})`. */
import { getSession } from './app-session.js';

export const privacyPageHandlers = {
  /** The agreement button (`bindagreeprivacyauthorization`): the held privacy calls go on. */
  onAgreePrivacy() {
    getSession().privacy.agree();
  },
  /** "拒绝": the held calls fail with a sentence. */
  onDisagreePrivacy() {
    getSession().privacy.disagree();
  },
  /** "《用户隐私保护指引》". */
  onPrivacyContract() {
    getSession().privacy.openContract();
  },
};
