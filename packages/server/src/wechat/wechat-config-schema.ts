/**
 * The WeChat feature's part of the server config: the zod schema of the
 * `wechat` key (JSON config file; env variables win for the single-app form),
 * the at-rest `secretKey`, and the `ConfigSection` that folds MINIIM_WECHAT_*
 * and checks the fields together.
 */
import { z } from 'zod';
import { ConfigError } from '../config/config.js';
import type { ConfigSection } from '../config/config-section.js';
import { ENCODING_AES_KEY } from './push-crypto.js';
import { parseSecretKey } from './secret-box.js';
import { checkKeywordMapping } from './subscribe-keywords.js';
import type { WechatConfig } from './wechat-config.js';
import { foldWechatEnv } from './wechat-env.js';

const fieldSource = z.union([z.enum(['sender', 'preview', 'conversation', 'time']), z.object({ const: z.string() })]);

export const WechatConfigSchema = z.object({
  apps: z
    .array(
      z
        .object({
          appId: z.string().regex(/^wx[0-9a-zA-Z]{6,32}$/, 'appId must look like wx…'),
          secret: z.string().min(1),
          token: z
            .string()
            .regex(/^[A-Za-z0-9]{3,32}$/, 'push token: 3–32 letters or digits')
            .optional(),
          useUnionId: z.boolean().optional(),
          encodingAESKey: z.string().regex(ENCODING_AES_KEY, 'EncodingAESKey: 43 letters or digits').optional(),
          pushMode: z.enum(['plain', 'compatible', 'safe']).optional(),
        })
        .refine((a) => (a.pushMode ?? 'plain') === 'plain' || a.encodingAESKey !== undefined, {
          path: ['encodingAESKey'],
          message: 'required when pushMode is compatible or safe: the server could not read the encrypted pushes (media-check verdicts)',
        }),
    )
    .default([]),
  apiBase: z.string().url().optional(),
  tokenMode: z.enum(['stable', 'classic']).optional(),
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
  subscribe: z
    .object({
      enabled: z.boolean(),
      templates: z.array(
        z.object({
          templateId: z.string().min(1),
          appId: z.string().optional(),
          fields: z.record(z.string().regex(/^[a-z_]+\d+$/, 'field key like thing1'), fieldSource).superRefine((fields, ctx) => {
            for (const [key, source] of Object.entries(fields)) {
              const problem = checkKeywordMapping(key, source);
              if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: problem });
            }
          }),
          page: z.string().optional(),
        }),
      ),
      windowMs: z.number().int().min(0).optional(),
      miniprogramState: z.enum(['developer', 'trial', 'formal']).optional(),
      lang: z.enum(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']).optional(),
      timeZone: z.string().optional(),
    })
    .optional(),
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
