/** What to do when a check cannot be done (WeChat or the webhook unreachable). */
export type FailPolicy = 'open' | 'closed';

/** What to do with a `review` (uncertain) verdict. */
export type ReviewPolicy = 'accept' | 'reject';

/**
 * Content-safety pipeline settings; the config owner maps env / file onto
 * this. Stages run in order keywords → wechat → webhook; each can be off.
 */
export interface ModerationConfig {
  keywords: {
    enabled: boolean;
    /** Word list file: one word per line, `#` starts a comment. */
    file?: string;
    /** Extra words (added to the file's). */
    words?: string[];
  };
  wechat: {
    enabled: boolean;
    /** Default `accept` (stored, with a log line). */
    onReview?: ReviewPolicy;
    /** Default `open` (accept, log a warning, count a metric). */
    failPolicy?: FailPolicy;
    /** Send uploaded images/audio to mediaCheckAsync. Default: same as `enabled`. */
    media?: boolean;
  };
  webhook: {
    enabled: boolean;
    url?: string;
    /** HMAC-SHA256 key for the `x-miniim-signature` header. */
    secret?: string;
    /** Default 3000 ms. */
    timeoutMs?: number;
    onReview?: ReviewPolicy;
    failPolicy?: FailPolicy;
  };
}

/** Everything off: a server without moderation. */
export const MODERATION_DISABLED: ModerationConfig = {
  keywords: { enabled: false },
  wechat: { enabled: false },
  webhook: { enabled: false },
};
