/**
 * The login page's logic: WeChat login (`wx.login` → `/api/auth/wechat`), dev login where the
 * server has it on, then the profile step with the current rules: `<button open-type="chooseAvatar">`
 * gives a temp avatar path (uploaded to `POST /api/media`), `<input type="nickname">` the name,
 * saved with `PATCH /api/me`.
 */
import { toast } from '../../lib/app-wx.js';
import { errorText, mediaUrl } from '../../lib/format.js';
import type { PrivacyPrompt } from '../../lib/privacy.js';
import type { ImSession } from '../../lib/session.js';
import type { ViewSink } from '../../lib/view.js';

export interface LoginData {
  step: 'login' | 'profile';
  devAvailable: boolean;
  busy: boolean;
  userId: string;
  nickname: string;
  /** Temp path (new choice) or the current avatar URL. */
  avatar: string;
  /** The bound phone number, masked (`138****8000`), or ''. */
  phone: string;
  /** Why the user is here again ("登录已过期，请重新登录"), or ''. */
  notice: string;
  /** The 用户隐私保护指引 popup (avatar and nickname are privacy components). */
  privacy: PrivacyPrompt;
}

/** The login page's sentence for a login that ended (`?ended=<reason>`). */
export function endedText(reason: string | undefined): string {
  switch (reason) {
    case 'expired':
      return '登录已过期，请重新登录';
    case 'banned':
      return '账号已被封禁';
    case 'replaced':
      return '你的账号已在另一台设备登录';
    case 'revoked':
    case 'logout':
      return '你已退出登录，请重新登录';
    default:
      return '';
  }
}

export function initialLoginData(): LoginData {
  return {
    step: 'login',
    devAvailable: false,
    busy: false,
    userId: '',
    nickname: '',
    avatar: '',
    phone: '',
    notice: '',
    privacy: { shown: false, referrer: '' },
  };
}

export const HOME = '/pages/index/index';

export class LoginLogic {
  private avatarPath = '';

  constructor(
    private readonly view: ViewSink<LoginData>,
    private readonly session: ImSession,
    private readonly devLoginWanted = true,
  ) {}

  private offPrivacy: (() => void) | undefined;

  /** Page `onLoad`: `?profile=1` opens the profile step for a logged-in user; `?ended=<reason>` says why the login ended. */
  async load(query: { profile?: string; ended?: string } = {}): Promise<void> {
    this.offPrivacy ??= this.session.privacy.listen((privacy) => this.view.setData({ privacy }));
    const notice = endedText(query.ended);
    if (notice) this.view.setData({ notice });
    if (query.profile && this.session.user) await this.showProfile();
    const devAvailable = this.devLoginWanted && (await this.session.devLoginAvailable());
    this.view.setData({ devAvailable });
  }

  /** Page `onUnload`. */
  unload(): void {
    this.offPrivacy?.();
    this.offPrivacy = undefined;
  }

  /**
   * The profile step uses privacy components (`chooseAvatar`, `<input type="nickname">`): the
   * agreement is asked first (`wx.requirePrivacyAuthorize`); refused, the step is skipped.
   */
  private async showProfile(): Promise<boolean> {
    if (!(await this.session.privacy.require())) {
      toast(this.session.wx, '未同意隐私保护指引，暂不能设置头像和昵称');
      return false;
    }
    const u = this.session.user;
    this.view.setData({ step: 'profile', nickname: u?.nickname ?? '', avatar: mediaUrl(u?.avatarUrl, this.session.baseUrl) });
    return true;
  }

  /** The agreement button of the privacy popup. */
  agreePrivacy(): void {
    this.session.privacy.agree();
  }

  /** "拒绝" in the privacy popup. */
  disagreePrivacy(): void {
    this.session.privacy.disagree();
  }

  private async run(fn: () => Promise<void>, failText: string): Promise<boolean> {
    if (this.view.data.busy) return false;
    this.view.setData({ busy: true });
    try {
      await fn();
      return true;
    } catch (err) {
      toast(this.session.wx, errorText(err, failText));
      return false;
    } finally {
      this.view.setData({ busy: false });
    }
  }

  /** "微信登录". A new account (no nickname set, or the id as its name) goes to the profile step. */
  wechatLogin(): Promise<boolean> {
    return this.run(async () => {
      const user = await this.session.loginWechat();
      const fresh = !user.avatarUrl || !user.nickname || user.nickname === user.id || user.nickname === '微信用户';
      if (!fresh || !(await this.showProfile())) this.session.wx.reLaunch({ url: HOME });
    }, '登录失败，请稍后重试');
  }

  /** "开发登录" with a user id and an optional nickname. */
  devLogin(userId: string, nickname: string): Promise<boolean> {
    const id = userId.trim();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      toast(this.session.wx, '用户 ID 只能包含字母、数字、_ 和 -');
      return Promise.resolve(false);
    }
    return this.run(async () => {
      await this.session.loginDev(id, nickname.trim() || undefined);
      this.session.wx.reLaunch({ url: HOME });
    }, '登录失败');
  }

  /** `bindchooseavatar`: a temp path, uploaded when the profile is saved. */
  chooseAvatar(tempPath: string): void {
    this.avatarPath = tempPath;
    this.view.setData({ avatar: tempPath });
  }

  /** `<input type="nickname">` input or blur (WeChat fills it on blur). */
  setNickname(name: string): void {
    this.view.setData({ nickname: name });
  }

  /** "保存": uploads the avatar if a new one was chosen, then `PATCH /api/me`. */
  saveProfile(): Promise<boolean> {
    const nickname = this.view.data.nickname.trim();
    if (!nickname) {
      toast(this.session.wx, '请填写昵称');
      return Promise.resolve(false);
    }
    return this.run(async () => {
      await this.session.updateProfile({ nickname, avatarPath: this.avatarPath || undefined });
      this.avatarPath = '';
      this.session.wx.reLaunch({ url: HOME });
    }, '保存失败');
  }

  /**
   * `bindgetphonenumber` of `<button open-type="getPhoneNumber">`: the event carries a one-time
   * `code` when the user agreed, which the server exchanges (`POST /api/auth/wechat/phone`).
   */
  bindPhone(detail: { code?: string; errMsg: string }): Promise<boolean> {
    if (!detail.code) {
      toast(this.session.wx, '未获取到手机号');
      return Promise.resolve(false);
    }
    const code = detail.code;
    return this.run(async () => {
      const res = (await this.session.need().api.call('POST', '/api/auth/wechat/phone', { code })) as { phone: { purePhoneNumber: string } };
      const n = res.phone.purePhoneNumber;
      this.view.setData({ phone: n.length > 7 ? `${n.slice(0, 3)}****${n.slice(-4)}` : n });
      toast(this.session.wx, '手机号已绑定');
    }, '绑定手机号失败');
  }

  /** "跳过". */
  skip(): void {
    this.session.wx.reLaunch({ url: HOME });
  }
}
