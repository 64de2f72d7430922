/**
 * The server's full config: the shared schema (`config/`) extended with the keys
 * of each feature (WeChat, moderation, admin), each feature's env folding and checks,
 * and the checks that span two features. The only place that knows all of them.
 */
import type * as z from 'zod';
import { adminConfigSection, adminConfigShape } from './admin/admin-config.js';
import { ConfigError, ConfigSchema, parseConfig, type Resolved } from './config/config.js';
import type { ConfigSection } from './config/config-section.js';
import { moderationConfigSection, moderationConfigShape } from './moderation/moderation-config-schema.js';
import { wechatConfigSection, wechatConfigShape } from './wechat/wechat-config-schema.js';

export const ServerConfigSchema = ConfigSchema.extend({ ...wechatConfigShape, ...moderationConfigShape, ...adminConfigShape });

/** The parsed server config (shared keys plus every feature's). */
export type ServerConfig = Resolved<z.output<typeof ServerConfigSchema>>;

/** Checks between features. */
const crossFeature: ConfigSection<z.output<typeof ServerConfigSchema>> = {
  check(c) {
    if (c.moderation.wechat.enabled && c.wechat.apps.length === 0) {
      throw new ConfigError('invalid config MINIIM_MODERATION_WECHAT: needs a WeChat app (MINIIM_WECHAT_APPID)');
    }
  },
};

/**
 * Builds the server config from (lowest to highest precedence) defaults, the JSON
 * file named by MINIIM_CONFIG, the environment, then `overrides` (tests, embedding).
 * Throws ConfigError with one line naming the key.
 */
export function loadServerConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): ServerConfig {
  return parseConfig(ServerConfigSchema, [wechatConfigSection, moderationConfigSection, adminConfigSection, crossFeature], env, overrides);
}
