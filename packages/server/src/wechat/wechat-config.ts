import { ImError } from '@miniim/protocol';
import type * as z from 'zod';
import type { WechatConfigSchema } from './wechat-config-schema.js';

/** Typed WeChat settings: the parsed `wechat` config section (fields documented on WechatConfigSchema). */
export type WechatConfig = z.output<typeof WechatConfigSchema>;
/** One mini-program (appid) this server accepts logins from. */
export type WechatAppConfig = WechatConfig['apps'][number];
/** Offline notifications via subscribe messages. */
export type SubscribeConfig = NonNullable<WechatConfig['subscribe']>;
/** One subscribe-message template and how its fields are filled. */
export type SubscribeTemplateConfig = SubscribeConfig['templates'][number];
/** Where a template field's value comes from. */
export type SubscribeFieldSource = SubscribeTemplateConfig['fields'][string];

export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com';
export const DEFAULT_WECHAT_TIMEOUT_MS = 5000;

/**
 * The app a request is for: the named appId (must be configured), or the only /
 * first configured app when none is named.
 */
export function resolveApp(config: WechatConfig, appId?: string): WechatAppConfig {
  if (config.apps.length === 0) throw new ImError('not_found', 'WeChat login is not configured');
  if (appId === undefined || appId === '') return config.apps[0];
  const app = config.apps.find((a) => a.appId === appId);
  if (!app) throw new ImError('bad_request', 'appId: not a configured mini-program');
  return app;
}
