/**
 * The WeChat feature: API client, tokens, login, push, content-security checks,
 * subscribe messages. The server wires it through `WechatIntegration` and
 * `registerWechatRoutes`.
 */
export * from './access-token-provider.js';
export * from './log-redaction.js';
export * from './media-check.js';
export * from './memory-credit-store.js';
export * from './push-event.js';
export * from './push-signature.js';
export * from './secret-box.js';
export * from './subscribe-notifier.js';
export * from './token-cache.js';
export * from './trace-store.js';
export * from './user-data.js';
export * from './user-id.js';
export * from './wechat-api.js';
export * from './wechat-config.js';
export * from './wechat-config-schema.js';
export * from './wechat-errors.js';
export * from './wechat-integration.js';
export * from './wechat-login.js';
export * from './wechat-message-hooks.js';
export * from './wechat-routes.js';
export * from './wechat-text-check.js';
