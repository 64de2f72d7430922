/**
 * The WeChat feature's clients: API client and access tokens, the at-rest key,
 * the msgSecCheck stage and identity lookup it offers the moderation feature,
 * and the subscribe-message notifier. Built before the core services (moderation
 * needs it); what acts on committed messages (notifications, media checks with
 * recall) is WechatMessageHooks, built after MessageService.
 */

import { randomBytes } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { Bus } from '../cluster/bus.js';
import type { SharedValues } from '../cluster/shared-state.js';
import { devSecret } from '../config/dev-secret.js';
import type { Logger } from '../logger.js';
import type { ModerationConfig, TextCheckStage, WechatIdentity, WechatModerationPort } from '../moderation/moderation-types.js';
import type { Storage } from '../storage/storage.js';
import { AccessTokenProvider } from './access-token-provider.js';
import { parseSecretKey } from './secret-box.js';
import { SubscribeNotifier } from './subscribe-notifier.js';
import { SharedTokenCache } from './token-cache.js';
import { WechatApi } from './wechat-api.js';
import type { WechatConfig } from './wechat-config.js';
import { WechatTextCheck } from './wechat-text-check.js';

/** The config keys the WeChat feature reads. */
export interface WechatFeatureConfig {
  dataDir: string;
  publicBaseUrl?: string | undefined;
  secretKey?: string | undefined;
  wechat: WechatConfig;
  moderation: ModerationConfig;
}

/** Calls to the WeChat API by endpoint and errcode (`0` success, `unreachable`); not on the message path. */
function wechatApiCalls(registry: Registry): Counter<'endpoint' | 'errcode'> {
  return new Counter({
    name: 'miniim_wechat_api_calls_total',
    help: 'Calls to the WeChat server API by endpoint and errcode (0 = ok, unreachable = network/HTTP failure)',
    labelNames: ['endpoint', 'errcode'],
    registers: [registry],
  });
}

export interface WechatIntegrationDeps {
  config: WechatFeatureConfig;
  storage: Pick<Storage, 'wechat'>;
  bus: Pick<Bus, 'isOnline'>;
  /** Values and locks shared by the nodes: the access token is fetched by one node at a time. */
  shared?: SharedValues;
  logger: Logger;
  /** Where `miniim_wechat_api_calls_total` is registered (the server's registry). */
  registry?: Registry;
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
    notifier: SubscribeNotifier;
  };
  /** WeChat's msgSecCheck as a moderation stage (present when WeChat is configured). */
  readonly textCheck?: TextCheckStage;

  constructor(private readonly deps: WechatIntegrationDeps) {
    const { config, storage, bus, shared, logger } = deps;
    this.wechatConfig = config.wechat;
    this.moderationConfig = config.moderation;
    if (this.wechatConfig.apps.length > 0) {
      const calls = deps.registry ? wechatApiCalls(deps.registry) : undefined;
      const api = new WechatApi({
        apiBase: this.wechatConfig.apiBase,
        timeoutMs: this.wechatConfig.timeoutMs,
        onResult: calls && ((endpoint, errcode) => calls.inc({ endpoint, errcode })),
      });
      const tokens = new AccessTokenProvider({
        api,
        config: this.wechatConfig,
        logger,
        ...(shared && { cache: new SharedTokenCache(shared), locks: shared }),
      });
      this.textCheck = new WechatTextCheck(api, tokens);
      this.wechat = {
        api,
        tokens,
        secretKey: secretKey(config, logger),
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

  /** The user's most recent WeChat identity, or undefined (web / dev-login users). */
  async identity(userId: string): Promise<WechatIdentity | undefined> {
    const row = await this.deps.storage.wechat.getIdentity(userId);
    return row ? { openid: row.openid, appId: row.appId } : undefined;
  }
}
