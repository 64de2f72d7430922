/**
 * Wires the WeChat feature: API client and access tokens, the msgSecCheck
 * stage and identity lookup it offers the moderation feature, asynchronous media
 * checks with recall, and offline notifications through subscribe messages.
 * app.ts builds one (through `createWechat`) and passes its hooks to the core.
 */

import { randomBytes } from 'node:crypto';
import { type Msg, messagePreview, parseConvId } from '@miniim/protocol';
import type { Registry } from 'prom-client';
import type { Bus } from '../cluster/bus.js';
import { devSecret } from '../config/dev-secret.js';
import type { Logger } from '../logger.js';
import type { ModerationConfig, TextCheckStage, WechatIdentity, WechatModerationPort } from '../moderation/moderation-types.js';
import type { Storage } from '../storage/storage.js';
import { AccessTokenProvider } from './access-token-provider.js';
import { MediaCheck } from './media-check.js';
import { parseSecretKey } from './secret-box.js';
import { SubscribeNotifier } from './subscribe-notifier.js';
import { WechatApi } from './wechat-api.js';
import type { WechatConfig } from './wechat-config.js';
import { WechatTextCheck } from './wechat-text-check.js';

/** What the integration needs from the message service. */
export interface ContentRemoval {
  /** Server-side recall with a `content_removed` notice. */
  removeContent(conv: string, seq: number): Promise<boolean>;
  /** The message as clients get it (signed media URLs), when the server signs URLs. */
  sign?(msg: Msg): Msg;
}

/** The config keys the WeChat feature reads. */
export interface WechatFeatureConfig {
  dataDir: string;
  publicBaseUrl?: string | undefined;
  secretKey?: string | undefined;
  wechat: WechatConfig;
  moderation: ModerationConfig;
}

export interface WechatIntegrationDeps {
  config: WechatFeatureConfig;
  storage: Storage;
  bus: Bus;
  logger: Logger;
  /** The server's prom-client registry (moderation counters). */
  registry: Registry;
}

/**
 * The at-rest key for WeChat session_keys: MINIIM_SECRET_KEY, or in development
 * a random key kept in the data dir (production requires it, see the config checks).
 */
export function secretKey(config: Pick<WechatFeatureConfig, 'dataDir' | 'secretKey'>, logger: Logger): Buffer {
  return parseSecretKey(
    devSecret(config.secretKey, {
      dataDir: config.dataDir,
      file: '.secret-key',
      envName: 'MINIIM_SECRET_KEY',
      generate: () => randomBytes(32).toString('base64'),
      logger,
    }),
  );
}

export class WechatIntegration implements WechatModerationPort {
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
  /** WeChat's msgSecCheck as a moderation stage (present when WeChat is configured). */
  readonly textCheck?: TextCheckStage;
  private messages?: ContentRemoval;
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly deps: WechatIntegrationDeps) {
    const { config, storage, bus, logger, registry } = deps;
    this.wechatConfig = config.wechat;
    this.moderationConfig = config.moderation;
    if (this.wechatConfig.apps.length > 0) {
      const api = new WechatApi({
        apiBase: this.wechatConfig.apiBase,
        timeoutMs: this.wechatConfig.timeoutMs,
      });
      const tokens = new AccessTokenProvider({ api, config: this.wechatConfig, logger });
      this.textCheck = new WechatTextCheck(api, tokens);
      this.wechat = {
        api,
        tokens,
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
