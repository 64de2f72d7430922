/**
 * The 用户隐私保护指引 flow (`"__usePrivacyCheck__": true` in app.json). WeChat holds a privacy API
 * (album, camera, file picker, recorder, clipboard, avatar, nickname) until the user agreed, and
 * asks the app through `wx.onNeedPrivacyAuthorization`. The gate keeps that request and shows it
 * on the page in front (its `<privacy-popup>`: the guide link and an agreement button with
 * `open-type="agreePrivacyAuthorization"`); the user's answer resumes or fails the held call.
 */
import type { AppWx } from './app-wx.js';

/** The id of the agreement button (WeChat checks that this button was tapped). */
export const AGREE_BUTTON_ID = 'agree-privacy';

type Resolve = (r: { event: 'agree' | 'disagree'; buttonId?: string }) => void;
/** What a page shows: whether the popup is up and which API asked. */
export type PrivacyPrompt = { shown: boolean; referrer: string };
type Listener = (p: PrivacyPrompt) => void;

/** Readable names of the APIs that ask, for the popup's sentence. */
const PURPOSE: Record<string, string> = {
  chooseMedia: '选择相册图片视频或拍摄',
  chooseMessageFile: '选择聊天文件',
  'RecorderManager.start': '录制语音',
  authorize: '使用麦克风',
  setClipboardData: '复制消息',
  getClipboardData: '读取剪贴板',
  requirePrivacyAuthorize: '设置头像和昵称',
  'button.chooseAvatar': '设置头像',
  'input.type.nickname': '填写昵称',
};

/** The sentence under the popup's title. */
export function privacyPurpose(referrer: string): string {
  return PURPOSE[referrer] ? `为了${PURPOSE[referrer]}，需要你同意《用户隐私保护指引》` : '使用该功能前，需要你同意《用户隐私保护指引》';
}

/** One per app: holds the pending authorization and tells the page in front. */
export class PrivacyGate {
  private pending: Resolve[] = [];
  private listeners: Listener[] = [];
  private referrer = '';

  constructor(private readonly wx: AppWx) {
    // Older base libraries lack it (and need no agreement).
    if (typeof wx.onNeedPrivacyAuthorization === 'function') {
      // The typings declare the listener as `(res) => void`; WeChat calls it with `(resolve, eventInfo)`.
      const listen = wx.onNeedPrivacyAuthorization as unknown as (l: (resolve: Resolve, info?: { referrer?: string }) => void) => void;
      listen((resolve, info) => {
        this.pending.push(resolve);
        this.referrer = info?.referrer ?? '';
        this.tell();
      });
    }
  }

  /** The page in front listens (the latest one wins); returns the unsubscribe. */
  listen(l: Listener): () => void {
    this.listeners.push(l);
    if (this.pending.length) l({ shown: true, referrer: this.referrer });
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  private tell(): void {
    const l = this.listeners[this.listeners.length - 1];
    l?.({ shown: this.pending.length > 0, referrer: this.referrer });
  }

  /** `bindagreeprivacyauthorization` of the agreement button: every held call goes on. */
  agree(): void {
    for (const r of this.pending.splice(0)) r({ event: 'agree', buttonId: AGREE_BUTTON_ID });
    this.tell();
  }

  /** "拒绝": every held call fails (`privacy permission is not authorized`). */
  disagree(): void {
    for (const r of this.pending.splice(0)) r({ event: 'disagree' });
    this.tell();
  }

  /** "查看《用户隐私保护指引》". */
  openContract(): void {
    this.wx.openPrivacyContract?.({});
  }

  /**
   * Asks for the agreement before a step that uses privacy components (chooseAvatar, nickname
   * input): resolves true once agreed (at once when it already was), false when refused.
   */
  require(): Promise<boolean> {
    if (typeof this.wx.requirePrivacyAuthorize !== 'function') return Promise.resolve(true);
    return new Promise((resolve) => {
      this.wx.requirePrivacyAuthorize({ success: () => resolve(true), fail: () => resolve(false) });
    });
  }
}

/** True for a refusal that came from the privacy agreement (not a cancel or a device error). */
export function isPrivacyRefusal(err: unknown): boolean {
  const msg = (err as { errMsg?: unknown } | null)?.errMsg;
  return typeof msg === 'string' && /privacy permission is not authorized|not declared in the privacy/.test(msg);
}
