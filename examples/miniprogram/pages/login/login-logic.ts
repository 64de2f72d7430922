/**
 * The login page's logic: WeChat login (`wx.login` → `/api/auth/wechat`), dev login where the
 * server has it on, then the profile step with the current rules: `<button open-type="chooseAvatar">`
 * gives a temp avatar path (uploaded to `POST /api/media`), `<input type="nickname">` the name,
 * saved with `PATCH /api/me`.
 */
import { toast } from '../../lib/app-wx.js';
import { errorText, mediaUrl } from '../../lib/format.js';
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
}

export function initialLoginData(): LoginData {
  return { step: 'login', devAvailable: false, busy: false, userId: '', nickname: '', avatar: '', phone: '' };
}

export const HOME = '/pages/index/index';

export class LoginLogic {
  private avatarPath = '';

  constructor(
    private readonly view: ViewSink<LoginData>,
    private readonly session: ImSession,
    private readonly devLoginWanted = true,
  ) {}

  /** Page `onLoad`: `?profile=1` opens the profile step for a logged-in user. */
  async load(query: { profile?: string } = {}): Promise<void> {
    if (query.profile && this.session.user) this.showProfile();
    const devAvailable = this.devLoginWanted && (await this.session.devLoginAvailable());
    this.view.setData({ devAvailable });
  }

  private showProfile(): void {
    const u = this.session.user;
    this.view.setData({ step: 'profile', nickname: u?.nickname ?? '', avatar: mediaUrl(u?.avatarUrl, this.session.baseUrl) });
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
      if (!user.avatarUrl || !user.nickname || user.nickname === user.id) this.showProfile();
      else this.session.wx.reLaunch({ url: HOME });
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
