/// <reference types="miniprogram-api-typings" />
/**
 * App entry. The SDK client follows `wx.onAppShow` / `wx.onAppHide` and the network by itself
 * (reconnects at once on show and when the network returns); a restart or deploy of the server
 * shows "正在重新连接…", never the login page. Only a login that truly ended (a WeChat login is
 * first renewed silently with `wx.login`) sends the user to the login page, with the reason.
 */
import { getSession } from './lib/app-session.js';

App({
  onLaunch() {
    const session = getSession();
    session.onLoginEnded((reason) => wx.reLaunch({ url: `/pages/login/login?ended=${reason}` }));
    if (!session.loggedIn) wx.reLaunch({ url: '/pages/login/login' });
  },
});
