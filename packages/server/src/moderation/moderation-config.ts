import type * as z from 'zod';
import type { ModerationConfigSchema } from './moderation-config-schema.js';

/**
 * Content-safety pipeline settings: the parsed `moderation` config section
 * (fields documented on ModerationConfigSchema). Stages run in order
 * keywords → wechat → webhook; each can be off.
 */
export type ModerationConfig = z.output<typeof ModerationConfigSchema>;

/** What to do when a check cannot be done (WeChat or the webhook unreachable). */
export type FailPolicy = NonNullable<ModerationConfig['wechat']['failPolicy']>;

/** What to do with a `review` (uncertain) verdict. */
export type ReviewPolicy = NonNullable<ModerationConfig['wechat']['onReview']>;

/** Everything off: a server without moderation. */
export const MODERATION_DISABLED: ModerationConfig = {
  keywords: { enabled: false },
  wechat: { enabled: false },
  webhook: { enabled: false },
};
