/** WeChat integration: API client, tokens, login, push, subscribe messages. */
export * from './access-token-provider.js';
export * from './log-redaction.js';
export * from './memory-credit-store.js';
export * from './push-event.js';
export * from './push-signature.js';
export * from './secret-box.js';
export * from './subscribe-notifier.js';
export * from './token-cache.js';
export * from './user-data.js';
export * from './user-id.js';
export * from './wechat-api.js';
export * from './wechat-config.js';
export * from './wechat-config-schema.js';
export * from './wechat-errors.js';
export * from './wechat-login.js';
