/// <reference types="miniprogram-api-typings" />

/**
 * The part of the mini-program `wx` global the SDK uses, typed by
 * miniprogram-api-typings. Tests pass a fake that implements the same shape.
 */
export type WxApi = Pick<
  WechatMiniprogram.Wx,
  | 'connectSocket'
  | 'request'
  | 'uploadFile'
  | 'login'
  | 'getStorage'
  | 'setStorage'
  | 'removeStorage'
  | 'onAppHide'
  | 'onAppShow'
  | 'offAppHide'
  | 'offAppShow'
  | 'onNetworkStatusChange'
  | 'offNetworkStatusChange'
  | 'onNetworkWeakChange'
  | 'offNetworkWeakChange'
>;

/** The global `wx`, when running inside a mini-program. */
export function globalWx(): WxApi | undefined {
  if (typeof wx !== 'undefined') return wx;
  return typeof globalThis !== 'undefined' ? (globalThis as { wx?: WxApi }).wx : undefined;
}
