/**
 * `@miniim/sdk/wx`: the client for WeChat mini-programs (`SocketTask`, `wx.request`,
 * `wx.uploadFile`, `wx.setStorage`, app show/hide).
 */
import { type ClientOptions, type EnvironmentTarget, ImClient } from '../client.js';
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
export { type WxRequestMethod, wxHttp, wxMethod } from './wx-http.js';
export { wxStoragePersistence } from './wx-storage.js';

/** Options of `createWxClient`. */
export interface WxClientOptions extends Omit<ClientOptions, 'transport' | 'http' | 'persistence' | 'environment'> {
  /** The `wx` object (default: the global one). */
  wx?: WxApi;
  /** Default: `wx.setStorage`; `false` disables the cache. */
  persistence?: PersistenceAdapter | false;
  /** Follow `wx.onAppHide` / `wx.onAppShow` and `wx.onNetworkStatusChange` (default true). */
  lifecycle?: boolean;
}

/** An `ImClient` whose `dispose()` also unhooks the app lifecycle and network listeners. */
export type WxClient = ImClient;

/**
 * Hooks a client to the mini-program: `onNetworkStatusChange` (back → reconnect at once with the
 * backoff reset; gone → `offline`), `onNetworkWeakChange` (no longer weak → the same as back),
 * `onAppShow` / `onAppHide` (front → reconnect or probe).
 */
export function wxEnvironment(api: WxApi): (client: EnvironmentTarget) => () => void {
  return (client) => {
    const onHide = () => client.setForeground(false);
    const onShow = () => client.setForeground(true);
    const onNetwork: WechatMiniprogram.OnNetworkStatusChangeCallback = (res) => client.networkChanged(res.isConnected);
    // A weak network that got better is a good moment to try again at once (base library ≥ 2.29).
    const onWeak: WechatMiniprogram.OnNetworkWeakChangeCallback = (res) => {
      if (!res.weakNet && res.networkType !== 'none') client.networkChanged(true);
    };
    const weak = typeof api.onNetworkWeakChange === 'function';
    api.onAppHide(onHide);
    api.onAppShow(onShow);
    api.onNetworkStatusChange(onNetwork);
    if (weak) api.onNetworkWeakChange(onWeak);
    return () => {
      api.offAppHide(onHide);
      api.offAppShow(onShow);
      // The typings give the off-callback another parameter type; it is the same function object.
      api.offNetworkStatusChange(onNetwork as unknown as WechatMiniprogram.OffNetworkStatusChangeCallback);
      if (weak) api.offNetworkWeakChange(onWeak);
    };
  };
}

function needWx(w: WxApi | undefined): WxApi {
  const api = w ?? globalWx();
  if (!api) throw new TypeError('miniim: no wx object (not in a mini-program? pass options.wx)');
  return api;
}

/**
 * Creates a client for a mini-program. It stops reconnecting while the app is in the
 * background (`wx.onAppHide`), reconnects at once on `wx.onAppShow` and when the network
 * returns (`wx.onNetworkStatusChange`), and treats the `interrupted` close that follows a
 * hide as expected.
 */
export function createWxClient(options: WxClientOptions): WxClient {
  const api = needWx(options.wx);
  const { wx: _w, persistence, lifecycle, ...rest } = options;
  return new ImClient({
    reconnectInBackground: false, // WeChat cuts the network of a hidden mini-program anyway
    ...rest,
    transport: new WxSocketTransport(api),
    http: wxHttp(api),
    persistence: persistence === false ? undefined : (persistence ?? wxStoragePersistence(api)),
    ...(lifecycle === false ? {} : { environment: wxEnvironment(api) }),
  });
}

/** The WeChat login flow with the platform's `wx`: `wx.login` → `POST /api/auth/wechat`. */
export function wechatLogin(baseUrl: string, extra: WechatLoginExtra = {}, wxApi?: WxApi) {
  const api = needWx(wxApi);
  return coreWechatLogin(api, wxHttp(api), baseUrl, extra);
}
