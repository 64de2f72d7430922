/**
 * The "me" page: own avatar, nickname and id; edit profile; message reminders (template ids from
 * the server's subscribe endpoint); the privacy guide; logout (confirmed; forgets the token and
 * the message cache on this phone).
 */
import { confirmModal, toast } from '../../lib/app-wx.js';
import { mediaUrl } from '../../lib/format.js';
import type { ImSession } from '../../lib/session.js';
import { requestNotifications, subscribeTemplateIds } from '../../lib/subscribe.js';
import type { ViewSink } from '../../lib/view.js';

export interface MeData {
  id: string;
  nickname: string;
  avatarUrl: string;
  canSubscribe: boolean;
}

export function initialMeData(): MeData {
  return { id: '', nickname: '', avatarUrl: '', canSubscribe: false };
}

export const LOGIN = '/pages/login/login';

export class MeLogic {
  private templateIds: string[] = [];

  constructor(
    private readonly view: ViewSink<MeData>,
    private readonly session: ImSession,
  ) {}

  /** Page `onShow` (the profile may have been edited). */
  async show(): Promise<void> {
    const u = this.session.user;
    this.view.setData({ id: u?.id ?? '', nickname: u?.nickname ?? '', avatarUrl: mediaUrl(u?.avatarUrl, this.session.baseUrl) });
    this.templateIds = await subscribeTemplateIds(this.session);
    this.view.setData({ canSubscribe: this.templateIds.length > 0 });
  }

  /** "编辑资料". */
  editProfile(): void {
    this.session.wx.navigateTo({ url: `${LOGIN}?profile=1` });
  }

  /** "消息提醒" (from a tap, as WeChat requires). */
  async subscribe(): Promise<string> {
    const outcome = await requestNotifications(this.session, this.templateIds).catch(() => 'failed' as const);
    toast(this.session.wx, outcome === 'accepted' ? '已开启消息提醒' : outcome === 'rejected' ? '未开启消息提醒' : '暂时无法开启消息提醒');
    return outcome;
  }

  /** "退出登录": confirmed, then back to the login page. */
  async logout(): Promise<boolean> {
    const ok = await confirmModal(this.session.wx, '退出后不会删除任何聊天记录，下次登录依然可以使用本账号', '退出登录');
    if (!ok) return false;
    await this.session.logout();
    this.session.wx.reLaunch({ url: LOGIN });
    return true;
  }
}
