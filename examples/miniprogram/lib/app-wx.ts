/// <reference types="miniprogram-api-typings" />
/**
 * The part of `wx` the sample app uses, injected into every logic module so tests can pass
 * a strict fake runtime (test/support/app-fake-wx.ts).
 */
import type { WxApi } from '@miniim/sdk/wx';

export type AppWx = WxApi &
  Pick<
    WechatMiniprogram.Wx,
    | 'getStorageSync'
    | 'setStorageSync'
    | 'removeStorageSync'
    | 'chooseMedia'
    | 'chooseMessageFile'
    | 'getRecorderManager'
    | 'previewImage'
    | 'setClipboardData'
    | 'showActionSheet'
    | 'showToast'
    | 'showModal'
    | 'navigateTo'
    | 'redirectTo'
    | 'reLaunch'
    | 'navigateBack'
    | 'stopPullDownRefresh'
    | 'requestSubscribeMessage'
    | 'createInnerAudioContext'
    | 'setInnerAudioOption'
    | 'getStorageInfoSync'
    | 'downloadFile'
    | 'openDocument'
    | 'previewMedia'
    | 'authorize'
    | 'getSetting'
    | 'openSetting'
    | 'onNeedPrivacyAuthorization'
    | 'requirePrivacyAuthorize'
    | 'openPrivacyContract'
    | 'onNetworkStatusChange'
    | 'offNetworkStatusChange'
    | 'getNetworkType'
  >;

/** Shows a short toast; never throws (the fake runtime may not have one). */
export function toast(wxApi: Partial<AppWx>, title: string, icon: 'none' | 'success' | 'error' = 'none'): void {
  try {
    wxApi.showToast?.({ title, icon });
  } catch {
    // a toast is a nicety
  }
}

/** `wx.showModal` as a promise: true when confirmed (a failure counts as "no"). */
export function confirmModal(wxApi: AppWx, content: string, confirmText: string, title?: string): Promise<boolean> {
  return new Promise((resolve) => {
    wxApi.showModal({
      ...(title ? { title } : {}),
      content,
      confirmText,
      success: (r) => resolve(!!r.confirm),
      fail: () => resolve(false),
    });
  });
}
