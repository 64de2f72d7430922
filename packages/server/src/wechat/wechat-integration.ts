/**
 * Wires the WeChat and moderation modules into one server: API client and
 * access tokens, the content moderator (text hook, nickname and group-name
 * checks), asynchronous media checks with recall, and offline notifications
 * through subscribe messages. app.ts builds one and passes its hooks to the core.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Msg, messagePreview, parseConvId } from '@miniim/protocol';
import type { Registry } from 'prom-client';
import type { Bus } from '../cluster/bus.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import { ContentModerator } from '../moderation/content-moderator.js';
import type { ModerationConfig } from '../moderation/moderation-config.js';
import type { ModerationScene } from '../moderation/moderation-types.js';
import type { Storage } from '../storage/storage.js';
import { AccessTokenProvider } from './access-token-provider.js';
import { MediaCheck } from './media-check.js';
import { parseSecretKey } from './secret-box.js';
import { SubscribeNotifier } from './subscribe-notifier.js';
import { WechatApi } from './wechat-api.js';
import type { WechatConfig } from './wechat-config.js';

/** What the integration needs from the message service. */
export interface ContentRemoval {
  /** Server-side recall with a `content_removed` notice. */
  removeContent(conv: string, seq: number): Promise<boolean>;
  /** The message as clients get it (signed media URLs), when the server signs URLs. */
  sign?(msg: Msg): Msg;
}

export interface WechatIntegrationDeps {
  config: Config;
  storage: Storage;
  bus: Bus;
  logger: Logger;
  /** The server's prom-client registry (moderation counters). */
  registry: Registry;
}

/** The WeChat identity used for msgSecCheck / mediaCheckAsync. */
export interface WechatIdentity {
  openid: string;
  appId: string;
}

/**
 * In development, a random session_key encryption key is kept in the data dir
 * (like the token secret); in production MINIIM_SECRET_KEY is required by config.
 */
export function secretKey(config: Config, logger: Logger): Buffer {
  if (config.secretKey) return parseSecretKey(config.secretKey);
  const file = path.join(config.dataDir, '.secret-key');
  if (existsSync(file)) return parseSecretKey(readFileSync(file, 'utf8'));
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600 });
  logger.warn({ file }, 'MINIIM_SECRET_KEY is not set; generated a development key');
  return key;
}

export class WechatIntegration {
  readonly wechatConfig: WechatConfig;
  readonly moderationConfig: ModerationConfig;
  /** Present when at least one mini-program is configured. */
  readonly wechat?: {
    api: WechatApi;
    tokens: AccessTokenProvider;
    secretKey: Buffer;
    media: MediaCheck;
    notifier: SubscribeNotifier;
  };
  /** Present when at least one moderation stage is on. */
  readonly moderator?: ContentModerator;
  private messages?: ContentRemoval;
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly deps: WechatIntegrationDeps) {
    const { config, storage, bus, logger, registry } = deps;
    this.wechatConfig = config.wechat as WechatConfig;
    this.moderationConfig = config.moderation as ModerationConfig;
    let wx: { api: WechatApi; tokens: AccessTokenProvider } | undefined;
    if (this.wechatConfig.apps.length > 0) {
      const api = new WechatApi({
        apiBase: this.wechatConfig.apiBase,
        timeoutMs: this.wechatConfig.timeoutMs,
      });
      const tokens = new AccessTokenProvider({ api, config: this.wechatConfig, logger });
      wx = { api, tokens };
      this.wechat = {
        ...wx,
        secretKey: secretKey(config, logger),
        media: new MediaCheck({
          config: this.moderationConfig,
          wechatConfig: this.wechatConfig,
          api,
          tokens,
          traces: storage.wechat.traces,
          onRisky: async (_traceId, target) => {
            await this.requireMessages().removeContent(target.conv, target.seq);
          },
          logger,
          registry,
        }),
        notifier: new SubscribeNotifier({
          config: this.wechatConfig,
          api,
          tokens,
          credits: storage.wechat.credits,
          throttle: storage.wechat.throttle,
          isOnline: async (userId) => (await bus.isOnline([userId])).get(userId) === true,
          resolveRecipient: (userId) => this.identity(userId),
          logger,
        }),
      };
    }
    const moderator = new ContentModerator({ config: this.moderationConfig, wechat: wx, logger, registry });
    if (moderator.stageNames.length > 0) this.moderator = moderator;
  }

  /** Gives the integration the message service (for server-side recall). */
  attach(messages: ContentRemoval): void {
    this.messages = messages;
  }

  /** The user's most recent WeChat identity, or undefined (web / dev-login users). */
  async identity(userId: string): Promise<WechatIdentity | undefined> {
    const row = await this.deps.storage.wechat.getIdentity(userId);
    return row ? { openid: row.openid, appId: row.appId } : undefined;
  }

  /**
   * Content-safety check of a text; throws content_rejected (422) or, fail-closed,
   * unavailable (503). `identity` overrides the stored one (login, before it is stored).
   */
  async checkText(text: string, userId: string, scene: ModerationScene, identity?: WechatIdentity): Promise<void> {
    if (!this.moderator) return;
    const id = identity ?? (this.moderationConfig.wechat.enabled ? await this.identity(userId) : undefined);
    await this.moderator.checkText(text, { userId, openid: id?.openid, appId: id?.appId, scene });
  }

  /** MessageService's `moderateText` hook, or undefined when moderation is off. */
  get moderateText(): ((text: string, ctx: { userId: string; conv: string }) => Promise<void>) | undefined {
    if (!this.moderator) return undefined;
    return (text, ctx) => this.checkText(text, ctx.userId, 'message');
  }

  /** GroupService's name check, or undefined when moderation is off. */
  get checkGroupName(): ((name: string, userId: string) => Promise<void>) | undefined {
    if (!this.moderator) return undefined;
    return (name, userId) => this.checkText(name, userId, 'group_name');
  }

  /** MessageService's `onCommitted` hook: runs in the background, never throws into send. */
  readonly onCommitted = (msg: Msg, members: readonly string[]): void => {
    if (!this.wechat) return;
    if (this.wechatConfig.subscribe?.enabled) this.track(this.notifyOffline(msg, members), 'subscribe notification');
    if (this.wechat.media.enabled && (msg.kind === 'image' || msg.kind === 'audio')) {
      this.track(this.submitMedia(msg), 'media check submit');
    }
  };

  /** Waits for background notifications and media submissions (graceful shutdown, tests). */
  async flush(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private track(p: Promise<void>, what: string): void {
    const tracked = p.catch((err) => {
      this.deps.logger.warn({ reason: err instanceof Error ? err.message : String(err) }, `${what} failed`);
    });
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  private async notifyOffline(msg: Msg, members: readonly string[]): Promise<void> {
    const others = members.filter((m) => m !== msg.from);
    if (others.length === 0) return;
    const online = await this.deps.bus.isOnline(others);
    const offline = others.filter((u) => online.get(u) !== true);
    if (offline.length === 0) return;
    const sender = await this.deps.storage.getUser(msg.from);
    const parsed = parseConvId(msg.conv);
    const group = parsed?.kind === 'group' ? await this.deps.storage.groups.getGroup(parsed.groupId) : undefined;
    const preview = messagePreview(msg.kind, msg.body);
    for (const toUserId of offline) {
      const outcome = await this.wechat!.notifier.notify({
        toUserId,
        conv: msg.conv,
        senderName: sender?.nickname ?? msg.from,
        conversationName: group?.name,
        preview,
        ts: msg.ts,
      });
      if (outcome === 'sent') this.deps.logger.debug({ userId: toUserId, conv: msg.conv }, 'offline notification sent');
    }
  }

  private async submitMedia(msg: Msg): Promise<void> {
    const id = await this.identity(msg.from);
    if (!id) return;
    // The URL as clients get it (signed when signed URLs are on), so WeChat can fetch it.
    const messages = this.requireMessages();
    const shown = messages.sign ? messages.sign(msg) : msg;
    const url = this.absoluteUrl((shown.body as { url: string }).url);
    if (!url) {
      this.deps.logger.warn({ conv: msg.conv, seq: msg.seq }, 'media check skipped: set MINIIM_PUBLIC_URL so WeChat can fetch the media');
      return;
    }
    await this.wechat!.media.submit(
      { url, type: msg.kind === 'audio' ? 'audio' : 'image' },
      { conv: msg.conv, seq: msg.seq, msgId: msg.id, userId: msg.from },
      { userId: msg.from, openid: id.openid, appId: id.appId, scene: 'message' },
    );
  }

  /** WeChat fetches the media itself: server-relative URLs need the public base URL. */
  private absoluteUrl(url: string): string | undefined {
    if (/^https?:\/\//i.test(url)) return url;
    const base = this.deps.config.publicBaseUrl;
    return base && url.startsWith('/') ? base.replace(/\/+$/, '') + url : undefined;
  }

  private requireMessages(): ContentRemoval {
    if (!this.messages) throw new Error('WechatIntegration.attach() was not called');
    return this.messages;
  }
}
