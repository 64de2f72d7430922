import { ImError } from '@miniim/protocol';
import type { Logger } from 'pino';
import type { CreditStore, NotifyThrottle } from '../storage/wechat-stores.js';
import type { AccessTokenProvider } from './access-token-provider.js';
import { MemoryNotifyThrottle } from './memory-credit-store.js';
import { keywordValue } from './subscribe-keywords.js';
import type { WechatApi } from './wechat-api.js';
import type { SubscribeFieldSource, SubscribeTemplateConfig, WechatConfig } from './wechat-config.js';
import { WechatApiError, WechatErrcode } from './wechat-errors.js';

export const DEFAULT_NOTIFY_WINDOW_MS = 10 * 60 * 1000;
export const DEFAULT_SUBSCRIBE_PAGE = 'pages/chat/chat?conv={conv}';

/** A message that arrived for a user; the caller fills it from the stored msg. */
export interface OfflineMessageEvent {
  toUserId: string;
  conv: string;
  senderName: string;
  /** Group name for group conversations. */
  conversationName?: string;
  /** Text shown in the notification, e.g. from messagePreview(). */
  preview: string;
  ts: number;
}

/** WeChat identity of a MiniIM user (from the storage owner's user table). */
export interface SubscribeRecipient {
  appId: string;
  openid: string;
}

export type NotifyOutcome = 'sent' | 'disabled' | 'online' | 'no_recipient' | 'no_credit' | 'throttled' | 'refused' | 'failed';

export interface SubscribeNotifierDeps {
  config: WechatConfig;
  api: WechatApi;
  tokens: AccessTokenProvider;
  credits: CreditStore;
  throttle?: NotifyThrottle;
  /** True when the user has at least one online session (any node). */
  isOnline: (userId: string) => boolean | Promise<boolean>;
  /** The user's appid/openid, or undefined for users without WeChat login. */
  resolveRecipient: (userId: string) => Promise<SubscribeRecipient | undefined>;
  logger?: Logger;
  now?: () => number;
}

/**
 * Offline notifications through subscribe messages: records accepted
 * templates as credits and, for an offline recipient with a credit, sends one
 * `subscribeMessage.send` per conversation per window.
 */
export class SubscribeNotifier {
  private readonly throttle: NotifyThrottle;
  private readonly now: () => number;

  constructor(private readonly deps: SubscribeNotifierDeps) {
    this.throttle = deps.throttle ?? new MemoryNotifyThrottle();
    this.now = deps.now ?? Date.now;
  }

  /** Templates the client may ask the user to accept (for `wx.requestSubscribeMessage`). */
  templateIds(appId?: string): string[] {
    return this.templates(appId).map((t) => t.templateId);
  }

  /**
   * Records the result of `wx.requestSubscribeMessage` (`{tmplId: "accept" |
   * "reject" | "ban" | "filter"}`); each `accept` of a configured template is one
   * credit. Returns the user's balances.
   */
  async recordAcceptance(userId: string, appId: string | undefined, results: unknown): Promise<Record<string, number>> {
    if (typeof results !== 'object' || results === null || Array.isArray(results)) {
      throw new ImError('bad_request', 'results: must be an object of templateId → "accept" | "reject"');
    }
    const entries = Object.entries(results as Record<string, unknown>);
    if (entries.length > 20) throw new ImError('bad_request', 'results: at most 20 templates');
    const known = new Set(this.templateIds(appId));
    for (const [templateId, verdict] of entries) {
      if (typeof verdict !== 'string') throw new ImError('bad_request', `results.${templateId}: must be a string`);
      if (verdict === 'accept' && known.has(templateId)) await this.deps.credits.add(userId, templateId, 1);
    }
    return this.deps.credits.list(userId);
  }

  /** Balances of the user, template id → credits. */
  credits(userId: string): Promise<Record<string, number>> {
    return this.deps.credits.list(userId);
  }

  /** Sends a notification for `ev` if the recipient is offline and has a credit. */
  async notify(ev: OfflineMessageEvent): Promise<NotifyOutcome> {
    const cfg = this.deps.config.subscribe;
    if (!cfg?.enabled) return 'disabled';
    if (await this.deps.isOnline(ev.toUserId)) return 'online';
    const recipient = await this.deps.resolveRecipient(ev.toUserId);
    if (!recipient) return 'no_recipient';
    const balances = await this.deps.credits.list(ev.toUserId);
    const template = this.templates(recipient.appId).find((t) => (balances[t.templateId] ?? 0) > 0);
    if (!template) return 'no_credit';

    const now = this.now();
    const windowMs = cfg.windowMs ?? DEFAULT_NOTIFY_WINDOW_MS;
    if (!(await this.throttle.claim(ev.toUserId, ev.conv, windowMs, now))) return 'throttled';
    if (!(await this.deps.credits.consume(ev.toUserId, template.templateId))) {
      await this.throttle.release(ev.toUserId, ev.conv);
      return 'no_credit';
    }

    const req = {
      touser: recipient.openid,
      template_id: template.templateId,
      page: (template.page ?? DEFAULT_SUBSCRIBE_PAGE).replace('{conv}', encodeURIComponent(ev.conv)),
      data: buildTemplateData(template.fields, ev, cfg.timeZone ?? 'Asia/Shanghai'),
      miniprogram_state: cfg.miniprogramState ?? 'formal',
      lang: cfg.lang ?? 'zh_CN',
    };
    const log = { userId: ev.toUserId, conv: ev.conv, templateId: template.templateId };
    try {
      await this.deps.tokens.call(recipient.appId, (token) => this.deps.api.sendSubscribeMessage(token, req));
      this.deps.logger?.debug(log, 'subscribe message sent');
      return 'sent';
    } catch (err) {
      if (err instanceof WechatApiError && err.errcode === WechatErrcode.userRefusedSubscribe) {
        await this.deps.credits.drop(ev.toUserId, template.templateId);
        this.deps.logger?.info(log, 'subscribe message refused (43101); credits dropped');
        return 'refused';
      }
      // Not delivered: give the credit and the slot back.
      await this.deps.credits.add(ev.toUserId, template.templateId, 1);
      await this.throttle.release(ev.toUserId, ev.conv);
      if (err instanceof WechatApiError && err.errcode === WechatErrcode.invalidTemplateData) {
        this.deps.logger?.error(
          { ...log, errcode: err.errcode, errmsg: err.errmsg },
          'subscribe message rejected (47003): template field mapping in config does not fit the template',
        );
      } else {
        this.deps.logger?.warn({ ...log, err: err instanceof Error ? err.message : String(err) }, 'subscribe message failed');
      }
      return 'failed';
    }
  }

  private templates(appId?: string): SubscribeTemplateConfig[] {
    const all = this.deps.config.subscribe?.templates ?? [];
    return all.filter((t) => t.appId === undefined || appId === undefined || t.appId === appId);
  }
}

/**
 * Fills template fields from a validated config mapping, each value shaped to
 * its keyword type (see subscribe-keywords.ts).
 */
export function buildTemplateData(fields: Record<string, SubscribeFieldSource>, ev: OfflineMessageEvent, timeZone: string): Record<string, { value: string }> {
  const data: Record<string, { value: string }> = {};
  for (const [key, source] of Object.entries(fields)) {
    data[key] = { value: keywordValue(key, source, { ...ev, timeZone }) };
  }
  return data;
}
