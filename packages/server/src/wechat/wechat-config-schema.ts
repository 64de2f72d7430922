/**
 * The WeChat feature's part of the server config: the zod schema of the
 * `wechat` key (JSON config file; env variables win for the single-app form),
 * the at-rest `secretKey`, and the `ConfigSection` that folds MINIIM_WECHAT_*
 * and checks the fields together.
 */
import * as z from 'zod';
import { ConfigError } from '../config/config.js';
import type { ConfigSection } from '../config/config-section.js';
import { ENCODING_AES_KEY } from './push-crypto.js';
import { parseSecretKey } from './secret-box.js';
import { checkKeywordMapping } from './subscribe-keywords.js';
import type { WechatConfig } from './wechat-config.js';
import { foldWechatEnv } from './wechat-env.js';

/**
 * Where a subscribe-message field's value comes from: `sender` (sender nickname),
 * `preview` (message preview text), `conversation` (group name or sender), `time`
 * (message time), or `{ const: "..." }`.
 */
const fieldSource = z.union([z.enum(['sender', 'preview', 'conversation', 'time']), z.object({ const: z.string() })]);

/** One mini-program (appid) this server accepts logins from. */
const appSchema = z
  .object({
    appId: z.string().regex(/^wx[0-9a-zA-Z]{6,32}$/, 'appId must look like wx…'),
    secret: z.string().min(1),
    /** Message-push token configured in the mini-program admin (开发管理 → 消息推送). */
    token: z
      .string()
      .regex(/^[A-Za-z0-9]{3,32}$/, 'push token: 3–32 letters or digits')
      .optional(),
    /** Derive user ids from unionid (shared across the appids of one open-platform account). */
    useUnionId: z.boolean().optional(),
    /** Message-push EncodingAESKey (43 letters/digits), needed for the compatible and safe modes. */
    encodingAESKey: z.string().regex(ENCODING_AES_KEY, 'EncodingAESKey: 43 letters or digits').optional(),
    /** 消息加密方式 chosen in the admin: `plain` (default), `compatible` or `safe`; the last two need `encodingAESKey`. */
    pushMode: z.enum(['plain', 'compatible', 'safe']).optional(),
  })
  .refine((a) => (a.pushMode ?? 'plain') === 'plain' || a.encodingAESKey !== undefined, {
    path: ['encodingAESKey'],
    message: 'required when pushMode is compatible or safe: the server could not read the encrypted pushes (media-check verdicts)',
  });

/** One subscribe-message template and how its fields are filled. */
const templateSchema = z.object({
  templateId: z.string().min(1),
  /** appid the template belongs to; default: every configured app. */
  appId: z.string().optional(),
  /** WeChat field key (e.g. `thing1`, `time2`, `name3`) → value source. */
  fields: z.record(z.string().regex(/^[a-z_]+\d+$/, 'field key like thing1'), fieldSource).superRefine((fields, ctx) => {
    for (const [key, source] of Object.entries(fields)) {
      const problem = checkKeywordMapping(key, source);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: problem });
    }
  }),
  /** Page opened from the notification; `{conv}` is replaced by the url-encoded conversation id. */
  page: z.string().optional(),
});

/** Offline notifications via subscribe messages. */
const subscribeSchema = z.object({
  enabled: z.boolean(),
  templates: z.array(templateSchema),
  /** At most one notification per (user, conversation) within this window. Default 10 minutes. */
  windowMs: z.number().int().min(0).optional(),
  /** `miniprogram_state` of subscribeMessage.send. Default `formal`. */
  miniprogramState: z.enum(['developer', 'trial', 'formal']).optional(),
  /** `lang` of subscribeMessage.send. Default `zh_CN`. */
  lang: z.enum(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']).optional(),
  /** IANA time zone used to format `time` fields. Default `Asia/Shanghai`. */
  timeZone: z.string().optional(),
});

/**
 * The `wechat` section: `MINIIM_WECHAT_APPID`, `MINIIM_WECHAT_SECRET`,
 * `MINIIM_WECHAT_API_BASE`… (single app) or the config file (several apps).
 * `WechatConfig` (wechat-config.ts) is its parsed type.
 */
export const WechatConfigSchema = z.object({
  apps: z.array(appSchema).default([]),
  /** Base URL of the WeChat API. Default `https://api.weixin.qq.com`. */
  apiBase: z.string().url().optional(),
  /** `stable` uses POST /cgi-bin/stable_token (default); `classic` uses GET /cgi-bin/token. */
  tokenMode: z.enum(['stable', 'classic']).optional(),
  /** Per-request timeout in ms. Default 5000. */
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
  subscribe: subscribeSchema.optional(),
});

function isSecretKey(v: string): boolean {
  try {
    parseSecretKey(v);
    return true;
  } catch {
    return false;
  }
}

/** The top-level keys the WeChat feature adds to the server config schema. */
export const wechatConfigShape = {
  /** 32-byte key encrypting secrets at rest (WeChat session_key); generated into the data dir in development. */
  secretKey: z.string().refine(isSecretKey, 'must be 32 bytes written as base64 (44 chars) or hex (64 chars)').optional(),
  /** WeChat mini-programs (MINIIM_WECHAT_* for one app, or the `wechat` section of MINIIM_CONFIG). */
  wechat: WechatConfigSchema.prefault({}),
};

/** What the WeChat section's checks read of the parsed config. */
export interface WechatSectionConfig {
  production: boolean;
  secretKey?: string | undefined;
  wechat: z.output<typeof WechatConfigSchema>;
}

/** Env mapping and cross-field checks of the WeChat keys. */
export const wechatConfigSection: ConfigSection<WechatSectionConfig> = {
  env: { MINIIM_SECRET_KEY: 'secretKey' },
  foldEnv: foldWechatEnv,
  check(c) {
    const apps = c.wechat.apps.length;
    if (c.production && apps > 0 && !c.secretKey) {
      throw new ConfigError('invalid config MINIIM_SECRET_KEY: required when NODE_ENV=production and WeChat is configured');
    }
    if (c.wechat.subscribe?.enabled && apps === 0) {
      throw new ConfigError('invalid config wechat.subscribe: needs a WeChat app (MINIIM_WECHAT_APPID)');
    }
  },
};

/**
 * The `wechat` section alone, parsed the way the server does it (file section,
 * then MINIIM_WECHAT_* folded in); throws on invalid values. For tests and tools.
 */
export function parseWechatConfig(fileSection: unknown, env: NodeJS.ProcessEnv = process.env): WechatConfig {
  const raw: Record<string, unknown> = { wechat: fileSection ?? {} };
  foldWechatEnv(raw, env);
  return WechatConfigSchema.parse(raw.wechat);
}
