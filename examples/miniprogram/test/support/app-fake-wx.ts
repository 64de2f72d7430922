/**
 * The SDK's fake `wx` runtime (real sockets, mini-program quirks) plus the UI APIs the sample
 * app calls, recorded so tests can check them: navigation, toasts, action sheets, clipboard,
 * chooseMedia, the recorder, subscribe messages.
 */
import { FakeWx } from '../../../../packages/sdk/test/support/fake-wx.js';
import type { AppWx } from '../../lib/app-wx.js';

type Cb<T> = { success?: (r: T) => void; fail?: (e: { errMsg: string }) => void };

export class AppFakeWx extends FakeWx {
  readonly navigations: string[] = [];
  readonly toasts: string[] = [];
  readonly actionSheets: string[][] = [];
  clipboard = '';
  previews: Array<{ current: string; urls: string[] }> = [];
  /** Index the next action sheet "taps" (-1: cancel). */
  nextActionSheetTap = 0;
  /** Files the next chooseMedia returns. */
  nextMedia: Array<{ tempFilePath: string; size: number; fileType: 'image' | 'video'; width?: number; height?: number; duration?: number }> = [];
  /** Result of the next requestSubscribeMessage. */
  nextSubscribe: Record<string, string> = {};
  pullDownStopped = 0;

  get app(): AppWx {
    return this as unknown as AppWx;
  }

  removeStorageSync(key: string): void {
    this.storage.delete(key);
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
  showModal(o: Cb<{ confirm: boolean; cancel: boolean; content?: string }>): void {
    queueMicrotask(() => o.success?.({ confirm: true, cancel: false }));
  }
  showActionSheet(o: { itemList: string[] } & Cb<{ tapIndex: number }>): void {
    this.actionSheets.push(o.itemList);
    const tap = this.nextActionSheetTap;
    queueMicrotask(() => (tap < 0 ? o.fail?.({ errMsg: 'showActionSheet:fail cancel' }) : o.success?.({ tapIndex: tap })));
  }
  setClipboardData(o: { data: string }): void {
    this.clipboard = o.data;
  }
  previewImage(o: { current: string; urls: string[] }): void {
    this.previews.push(o);
  }
  stopPullDownRefresh(): void {
    this.pullDownStopped++;
  }
  chooseMedia(o: Cb<{ tempFiles: unknown[]; type: string }>): void {
    const files = this.nextMedia;
    this.nextMedia = [];
    queueMicrotask(() => (files.length ? o.success?.({ tempFiles: files, type: 'mix' }) : o.fail?.({ errMsg: 'chooseMedia:fail cancel' })));
  }
  requestSubscribeMessage(o: Cb<Record<string, string>>): void {
    const res = { ...this.nextSubscribe, errMsg: 'requestSubscribeMessage:ok' };
    queueMicrotask(() => o.success?.(res));
  }
}
