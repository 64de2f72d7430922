import { ImError } from '@miniim/protocol';

/** One mini-program (appid) this server accepts logins from. */
export interface WechatAppConfig {
  appId: string;
  secret: string;
  /** Message-push token configured in the mini-program admin (开发管理 → 消息推送). */
  token?: string;
  /** Derive user ids from unionid (shared across the appids of one open-platform account). */
  useUnionId?: boolean;
  /** Message-push EncodingAESKey (43 letters/digits), needed for the compatible and safe modes. */
  encodingAESKey?: string;
  /** 消息加密方式 chosen in the admin: `plain` (default), `compatible` or `safe`; the last two need `encodingAESKey`. */
  pushMode?: 'plain' | 'compatible' | 'safe';
}

/** One subscribe-message template and how its fields are filled. */
export interface SubscribeTemplateConfig {
  templateId: string;
  /** appid the template belongs to; default: every configured app. */
  appId?: string;
  /**
   * WeChat field key (e.g. `thing1`, `time2`, `name3`) → value source:
   * `sender` (sender nickname), `preview` (message preview text), `conversation`
   * (group name or sender), `time` (message time), or `{ const: "..." }`.
   */
  fields: Record<string, SubscribeFieldSource>;
  /** Page opened from the notification; `{conv}` is replaced by the url-encoded conversation id. */
  page?: string;
}

export type SubscribeFieldSource = 'sender' | 'preview' | 'conversation' | 'time' | { const: string };

/** Offline notifications via subscribe messages. */
export interface SubscribeConfig {
  enabled: boolean;
  templates: SubscribeTemplateConfig[];
  /** At most one notification per (user, conversation) within this window. Default 10 minutes. */
  windowMs?: number;
  /** `miniprogram_state` of subscribeMessage.send. Default `formal`. */
  miniprogramState?: 'developer' | 'trial' | 'formal';
  /** `lang` of subscribeMessage.send. Default `zh_CN`. */
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';
  /** IANA time zone used to format `time` fields. Default `Asia/Shanghai`. */
  timeZone?: string;
}

/**
 * Typed WeChat settings. The config owner maps `MINIIM_WECHAT_APPID`,
 * `MINIIM_WECHAT_SECRET`, `MINIIM_WECHAT_API_BASE` (single app) or a config file
 * (several apps) onto this shape.
 */
export interface WechatConfig {
  apps: WechatAppConfig[];
  /** Base URL of the WeChat API. Default `https://api.weixin.qq.com`. */
  apiBase?: string;
  /** `stable` uses POST /cgi-bin/stable_token (default); `classic` uses GET /cgi-bin/token. */
  tokenMode?: 'stable' | 'classic';
  /** Per-request timeout in ms. Default 5000. */
  timeoutMs?: number;
  subscribe?: SubscribeConfig;
}

export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com';
export const DEFAULT_WECHAT_TIMEOUT_MS = 5000;

/**
 * The app a request is for: the named appId (must be configured), or the only /
 * first configured app when none is named.
 */
export function resolveApp(config: WechatConfig, appId?: string): WechatAppConfig {
  if (config.apps.length === 0) throw new ImError('not_found', 'WeChat login is not configured');
  if (appId === undefined || appId === '') return config.apps[0];
  const app = config.apps.find((a) => a.appId === appId);
  if (!app) throw new ImError('bad_request', 'appId: not a configured mini-program');
  return app;
}
