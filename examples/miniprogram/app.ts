/// <reference types="miniprogram-api-typings" />
/**
 * App entry. The SDK client follows `wx.onAppShow` / `wx.onAppHide` by itself (reconnects at once
 * on show); here the app only makes sure a session exists and sends logged-out users to login.
 */
import { getSession } from './lib/app-session.js';

App({
  onLaunch() {
    const session = getSession();
    if (!session.loggedIn) wx.reLaunch({ url: '/pages/login/login' });
  },
  onShow() {
    // Back from background: the SDK reconnects on its own; make sure the client is running.
    const client = getSession().client;
    if (client && client.state === 'disconnected') void client.connect();
  },
});
