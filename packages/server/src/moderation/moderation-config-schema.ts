/**
 * The moderation feature's part of the server config: the zod schema of the
 * `moderation` key (JSON config file; MINIIM_MODERATION_* env variables win) and
 * the `ConfigSection` that folds the env variables and checks the fields together.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError } from '../config/config.js';
import type { ConfigSection } from '../config/config-section.js';
import type { ModerationConfig } from './moderation-config.js';
import { foldModerationEnv } from './moderation-env.js';

/** What to do when a check cannot be done (WeChat or the webhook unreachable): default `open`. */
const policy = z.enum(['open', 'closed']).optional();
/** What to do with a `review` (uncertain) verdict: default `accept` (stored, with a log line). */
const review = z.enum(['accept', 'reject']).optional();

/** The `moderation` section; `ModerationConfig` (moderation-config.ts) is its parsed type. */
export const ModerationConfigSchema = z.object({
  keywords: z
    .object({
      enabled: z.boolean(),
      /** Word list file: one word per line, `#` starts a comment. */
      file: z.string().optional(),
      /** Extra words (added to the file's). */
      words: z.array(z.string()).optional(),
    })
    .default({ enabled: false }),
  wechat: z
    .object({
      enabled: z.boolean(),
      onReview: review,
      failPolicy: policy,
      /** Send uploaded images/audio to mediaCheckAsync. Default: same as `enabled`. */
      media: z.boolean().optional(),
    })
    .default({ enabled: false }),
  webhook: z
    .object({
      enabled: z.boolean(),
      url: z.string().url().optional(),
      /** HMAC-SHA256 key for the `x-miniim-signature` header. */
      secret: z.string().optional(),
      /** Default 3000 ms. */
      timeoutMs: z.number().int().min(100).max(60_000).optional(),
      onReview: review,
      failPolicy: policy,
    })
    .default({ enabled: false }),
});

/** The top-level key the moderation feature adds to the server config schema. */
export const moderationConfigShape = {
  /** Content-safety pipeline (MINIIM_MODERATION_* or the `moderation` section of MINIIM_CONFIG). */
  moderation: ModerationConfigSchema.prefault({}),
};

/** Env folding and cross-field checks of the `moderation` key. */
export const moderationConfigSection: ConfigSection<{ moderation: z.output<typeof ModerationConfigSchema> }> = {
  foldEnv: foldModerationEnv,
  check({ moderation: { webhook, keywords } }) {
    if (webhook.enabled && !webhook.url) {
      throw new ConfigError('invalid config MINIIM_MODERATION_WEBHOOK_URL: required when the webhook stage is on');
    }
    if (keywords.enabled && keywords.file !== undefined) {
      try {
        readFileSync(keywords.file, 'utf8');
      } catch (e) {
        throw new ConfigError(`invalid config MINIIM_MODERATION_KEYWORDS_FILE: cannot read ${keywords.file}: ${(e as Error).message}`);
      }
    }
  },
};

/**
 * The `moderation` section alone, parsed the way the server does it (file
 * section, then MINIIM_MODERATION_* folded in, then the checks); throws on
 * invalid values. For tests and tools.
 */
export function parseModerationConfig(fileSection: unknown, env: NodeJS.ProcessEnv = process.env): ModerationConfig {
  const raw: Record<string, unknown> = { moderation: fileSection ?? {} };
  foldModerationEnv(raw, env);
  const config = { moderation: ModerationConfigSchema.parse(raw.moderation) };
  moderationConfigSection.check?.(config);
  return config.moderation;
}
