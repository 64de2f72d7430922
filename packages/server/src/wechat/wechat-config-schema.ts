/**
 * zod schemas for WechatConfig and ModerationConfig plus the environment
 * mapping, for the config owner to embed (`wechat` and `moderation` keys of
 * the JSON config file; env variables win for the single-app form).
 */
import { z } from 'zod';
import type { ModerationConfig } from '../moderation/moderation-config.js';
import { ENCODING_AES_KEY } from './push-crypto.js';
import { checkKeywordMapping } from './subscribe-keywords.js';
import type { WechatConfig } from './wechat-config.js';

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

const policy = z.enum(['open', 'closed']).optional();
const review = z.enum(['accept', 'reject']).optional();

export const ModerationConfigSchema = z.object({
  keywords: z.object({ enabled: z.boolean(), file: z.string().optional(), words: z.array(z.string()).optional() }).default({ enabled: false }),
  wechat: z.object({ enabled: z.boolean(), onReview: review, failPolicy: policy, media: z.boolean().optional() }).default({ enabled: false }),
  webhook: z
    .object({
      enabled: z.boolean(),
      url: z.string().url().optional(),
      secret: z.string().optional(),
      timeoutMs: z.number().int().min(100).max(60_000).optional(),
      onReview: review,
      failPolicy: policy,
    })
    .default({ enabled: false }),
});

const on = (v: string | undefined) => v !== undefined && ['1', 'true', 'on', 'yes'].includes(v.toLowerCase());

/**
 * Env names: MINIIM_WECHAT_APPID, MINIIM_WECHAT_SECRET, MINIIM_WECHAT_API_BASE,
 * MINIIM_WECHAT_PUSH_TOKEN, MINIIM_WECHAT_PUSH_AES_KEY, MINIIM_WECHAT_PUSH_MODE,
 * MINIIM_WECHAT_USE_UNIONID, MINIIM_WECHAT_TOKEN_MODE.
 * The env app replaces a file app with the same appId or is put first.
 */
export function parseWechatConfig(fileSection: unknown, env: NodeJS.ProcessEnv = process.env): WechatConfig {
  const raw = structuredClone((fileSection ?? {}) as Record<string, unknown>);
  const apps = Array.isArray(raw.apps) ? (raw.apps as Array<Record<string, unknown>>) : [];
  if (env.MINIIM_WECHAT_APPID) {
    const app: Record<string, unknown> = {
      appId: env.MINIIM_WECHAT_APPID,
      secret: env.MINIIM_WECHAT_SECRET ?? '',
    };
    if (env.MINIIM_WECHAT_PUSH_TOKEN) app.token = env.MINIIM_WECHAT_PUSH_TOKEN;
    if (env.MINIIM_WECHAT_PUSH_AES_KEY) app.encodingAESKey = env.MINIIM_WECHAT_PUSH_AES_KEY;
    if (env.MINIIM_WECHAT_PUSH_MODE) app.pushMode = env.MINIIM_WECHAT_PUSH_MODE;
    if (env.MINIIM_WECHAT_USE_UNIONID) app.useUnionId = on(env.MINIIM_WECHAT_USE_UNIONID);
    raw.apps = [app, ...apps.filter((a) => a.appId !== app.appId)];
  }
  if (env.MINIIM_WECHAT_API_BASE) raw.apiBase = env.MINIIM_WECHAT_API_BASE;
  if (env.MINIIM_WECHAT_TOKEN_MODE) raw.tokenMode = env.MINIIM_WECHAT_TOKEN_MODE;
  return WechatConfigSchema.parse(raw) as WechatConfig;
}

/**
 * Env names: MINIIM_MODERATION_KEYWORDS_FILE (turns the keyword stage on),
 * MINIIM_MODERATION_WECHAT, MINIIM_MODERATION_FAIL_POLICY (open|closed),
 * MINIIM_MODERATION_REVIEW (accept|reject), MINIIM_MODERATION_WEBHOOK_URL,
 * MINIIM_MODERATION_WEBHOOK_SECRET.
 */
export function parseModerationConfig(fileSection: unknown, env: NodeJS.ProcessEnv = process.env): ModerationConfig {
  const c = ModerationConfigSchema.parse(fileSection ?? {}) as ModerationConfig;
  if (env.MINIIM_MODERATION_KEYWORDS_FILE) c.keywords = { ...c.keywords, enabled: true, file: env.MINIIM_MODERATION_KEYWORDS_FILE };
  if (env.MINIIM_MODERATION_WECHAT) c.wechat = { ...c.wechat, enabled: on(env.MINIIM_MODERATION_WECHAT) };
  const fp = env.MINIIM_MODERATION_FAIL_POLICY;
  if (fp) {
    if (fp !== 'open' && fp !== 'closed') throw new Error('MINIIM_MODERATION_FAIL_POLICY must be open or closed');
    c.wechat.failPolicy = fp;
    c.webhook.failPolicy = fp;
  }
  const rv = env.MINIIM_MODERATION_REVIEW;
  if (rv) {
    if (rv !== 'accept' && rv !== 'reject') throw new Error('MINIIM_MODERATION_REVIEW must be accept or reject');
    c.wechat.onReview = rv;
    c.webhook.onReview = rv;
  }
  if (env.MINIIM_MODERATION_WEBHOOK_URL) c.webhook = { ...c.webhook, enabled: true, url: env.MINIIM_MODERATION_WEBHOOK_URL };
  if (env.MINIIM_MODERATION_WEBHOOK_SECRET) c.webhook.secret = env.MINIIM_MODERATION_WEBHOOK_SECRET;
  if (c.webhook.enabled && !c.webhook.url) throw new Error('moderation.webhook.url is required when the webhook is on');
  return c;
}
