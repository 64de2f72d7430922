/**
 * `@miniim/sdk/wx`: the client for WeChat mini-programs (`SocketTask`, `wx.request`,
 * `wx.uploadFile`, `wx.setStorage`, app show/hide).
 */
import { type ClientOptions, ImClient } from '../client.js';
import type { PersistenceAdapter } from '../persistence.js';
import { WxSocketTransport } from '../transport/wx-transport.js';
import { wechatLogin as coreWechatLogin, type WechatLoginExtra } from './wechat-login.js';
import { globalWx, type WxApi } from './wx-api.js';
import { wxHttp } from './wx-http.js';
import { wxStoragePersistence } from './wx-storage.js';

export * from '../index.js';
export { WxSocketTransport } from '../transport/wx-transport.js';
export { type WechatLoginExtra, wxLoginCode } from './wechat-login.js';
export type { WxApi } from './wx-api.js';
export { wxHttp } from './wx-http.js';
export { wxStoragePersistence } from './wx-storage.js';

/** Options of `createWxClient`. */
export interface WxClientOptions extends Omit<ClientOptions, 'transport' | 'http' | 'persistence'> {
  /** The `wx` object (default: the global one). */
  wx?: WxApi;
  /** Default: `wx.setStorage`; `false` disables the cache. */
  persistence?: PersistenceAdapter | false;
  /** Follow `wx.onAppHide` / `wx.onAppShow` (default true). */
  lifecycle?: boolean;
}

/** An `ImClient` plus `dispose()` that unhooks the app lifecycle listeners. */
export type WxClient = ImClient & { dispose(): void };

function needWx(w: WxApi | undefined): WxApi {
  const api = w ?? globalWx();
  if (!api) throw new TypeError('miniim: no wx object (not in a mini-program? pass options.wx)');
  return api;
}

/**
 * Creates a client for a mini-program. It stops reconnecting while the app is in the
 * background (`wx.onAppHide`), reconnects at once on `wx.onAppShow`, and treats the
 * `interrupted` close that follows a hide as expected.
 */
export function createWxClient(options: WxClientOptions): WxClient {
  const api = needWx(options.wx);
  const { wx: _w, persistence, lifecycle, ...rest } = options;
  const client = new ImClient({
    ...rest,
    transport: new WxSocketTransport(api),
    http: wxHttp(api),
    persistence: persistence === false ? undefined : (persistence ?? wxStoragePersistence(api)),
  }) as WxClient;
  const onHide = () => client.pause();
  const onShow = () => client.resume();
  if (lifecycle !== false) {
    api.onAppHide(onHide);
    api.onAppShow(onShow);
  }
  client.dispose = () => {
    if (lifecycle !== false) {
      api.offAppHide(onHide);
      api.offAppShow(onShow);
    }
    client.disconnect();
  };
  return client;
}

/** The WeChat login flow with the platform's `wx`: `wx.login` → `POST /api/auth/wechat`. */
export function wechatLogin(baseUrl: string, extra: WechatLoginExtra = {}, wxApi?: WxApi) {
  const api = needWx(wxApi);
  return coreWechatLogin(api, wxHttp(api), baseUrl, extra);
}
