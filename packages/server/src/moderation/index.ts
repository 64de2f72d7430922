/** Content-safety pipeline: keyword filter, WeChat checks, webhook, media checks. */
export * from './content-moderator.js';
export * from './keyword-filter.js';
export * from './moderation-config.js';
export * from './moderation-metrics.js';
export * from './moderation-types.js';
export * from './text-normalizer.js';
export * from './webhook-text-check.js';
