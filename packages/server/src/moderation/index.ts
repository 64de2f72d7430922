/**
 * Content-safety pipeline: keyword filter, the WeChat stage (given by the WeChat
 * feature through `moderation-types.ts`), webhook. The server wires it through
 * `createModeration`.
 */
export * from './content-moderator.js';
export * from './keyword-filter.js';
export * from './moderation-config.js';
export * from './moderation-config-schema.js';
export * from './moderation-hooks.js';
export * from './moderation-metrics.js';
export * from './moderation-types.js';
export * from './text-normalizer.js';
export * from './webhook-text-check.js';
