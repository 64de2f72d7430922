/**
 * The fake `wx` the sample app's tests use: the strict runtime (strict-wx.ts, device-wx.ts) plus
 * the UI APIs, recorded so tests can check them (navigation, toasts, action sheets, modals,
 * previews, opened documents, subscribe prompts). The app gets `fake.app`: only the method names
 * the real `wx` has (checked against miniprogram-api-typings), so calling an API WeChat lacks is a
 * TypeError here as on a phone.
 */
import type { AppWx } from '../../lib/app-wx.js';
import { DeviceWx } from './device-wx.js';
import type { StrictWxOptions } from './strict-wx.js';

type Cb<T> = { success?: (r: T) => void; fail?: (e: { errMsg: string }) => void };

/** The `wx` methods the fake provides: every name must exist on the real `wx` (compile-time check). */
export const REAL_WX_METHODS = [
  'connectSocket',
  'request',
  'uploadFile',
  'downloadFile',
  'login',
  'getStorage',
  'setStorage',
  'removeStorage',
  'getStorageSync',
  'setStorageSync',
  'removeStorageSync',
  'getStorageInfoSync',
  'onAppHide',
  'onAppShow',
  'offAppHide',
  'offAppShow',
  'onNetworkStatusChange',
  'offNetworkStatusChange',
  'onNetworkWeakChange',
  'offNetworkWeakChange',
  'getNetworkType',
  'onNeedPrivacyAuthorization',
  'getPrivacySetting',
  'requirePrivacyAuthorize',
  'openPrivacyContract',
  'authorize',
  'getSetting',
  'openSetting',
  'chooseMedia',
  'chooseMessageFile',
  'setClipboardData',
  'createInnerAudioContext',
  'setInnerAudioOption',
  'getRecorderManager',
  'previewImage',
  'previewMedia',
  'openDocument',
  'showActionSheet',
  'showToast',
  'showModal',
  'navigateTo',
  'redirectTo',
  'reLaunch',
  'navigateBack',
  'stopPullDownRefresh',
  'requestSubscribeMessage',
] as const satisfies ReadonlyArray<keyof WechatMiniprogram.Wx>;

const REAL = new Set<string>(REAL_WX_METHODS);

export class AppFakeWx extends DeviceWx {
  readonly navigations: string[] = [];
  readonly toasts: string[] = [];
  readonly actionSheets: string[][] = [];
  readonly modals: Array<{ title?: string; content?: string }> = [];
  previews: Array<{ current: string; urls: string[] }> = [];
  readonly mediaPreviews: Array<{ sources: Array<{ url: string; type: string; poster?: string }> }> = [];
  readonly documents: Array<{ filePath: string; fileType?: string; showMenu?: boolean }> = [];
  /** Index the next action sheet "taps" (-1: cancel). */
  nextActionSheetTap = 0;
  /** Whether the next modal is confirmed. */
  nextModalConfirm = true;
  /** Result of the next requestSubscribeMessage. */
  nextSubscribe: Record<string, string> = {};
  readonly subscribePrompts: string[][] = [];
  pullDownStopped = 0;
  private readonly view: AppWx;

  constructor(options: StrictWxOptions = {}) {
    super(options);
    this.view = new Proxy(this, {
      get: (target, prop) => {
        if (typeof prop !== 'string' || !REAL.has(prop)) return undefined;
        const v = (target as unknown as Record<string, unknown>)[prop];
        return typeof v === 'function' ? v.bind(target) : v;
      },
      has: (_t, prop) => typeof prop === 'string' && REAL.has(prop),
    }) as unknown as AppWx;
  }

  /** The runtime as the app sees it: only real `wx` method names. */
  get app(): AppWx {
    return this.view;
  }

  override get api() {
    return this.view;
  }

  navigateTo(o: { url: string }): void {
    this.navigations.push(o.url);
  }
  redirectTo(o: { url: string }): void {
    this.navigations.push(o.url);
  }
  reLaunch(o: { url: string }): void {
    this.navigations.push(o.url);
  }
  navigateBack(): void {
    this.navigations.push('back');
  }
  showToast(o: { title: string }): void {
    this.toasts.push(o.title);
  }
  showModal(o: { title?: string; content?: string } & Cb<{ confirm: boolean; cancel: boolean }>): void {
    this.modals.push({ title: o.title, content: o.content });
    const confirm = this.nextModalConfirm;
    queueMicrotask(() => o.success?.({ confirm, cancel: !confirm }));
  }
  showActionSheet(o: { itemList: string[] } & Cb<{ tapIndex: number }>): void {
    this.actionSheets.push(o.itemList);
    const tap = this.nextActionSheetTap;
    queueMicrotask(() => (tap < 0 ? o.fail?.({ errMsg: 'showActionSheet:fail cancel' }) : o.success?.({ tapIndex: tap })));
  }
  previewImage(o: { current: string; urls: string[] }): void {
    this.previews.push(o);
  }
  previewMedia(o: { sources: Array<{ url: string; type: string; poster?: string }> } & Cb<unknown>): void {
    this.mediaPreviews.push({ sources: o.sources });
    queueMicrotask(() => o.success?.({ errMsg: 'previewMedia:ok' }));
  }
  openDocument(o: { filePath: string; fileType?: string; showMenu?: boolean } & Cb<unknown>): void {
    this.documents.push({ filePath: o.filePath, fileType: o.fileType, showMenu: o.showMenu });
    queueMicrotask(() => o.success?.({ errMsg: 'openDocument:ok' }));
  }
  stopPullDownRefresh(): void {
    this.pullDownStopped++;
  }
  requestSubscribeMessage(o: { tmplIds: string[] } & Cb<Record<string, string>>): void {
    this.subscribePrompts.push(o.tmplIds);
    const res = { ...this.nextSubscribe, errMsg: 'requestSubscribeMessage:ok' };
    queueMicrotask(() => o.success?.(res));
  }
}
