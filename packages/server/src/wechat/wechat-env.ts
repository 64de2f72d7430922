/**
 * Folds the WeChat environment variables into the `wechat` section of the raw
 * config (file / overrides), so one schema validates both. Returns dotted config
 * paths → env names, for error messages.
 */
import { EnvValueError, envFlag, envSection, envValue, hasEnvPrefix } from '../config/config-section.js';

type Obj = Record<string, unknown>;

/**
 * Env names: MINIIM_WECHAT_APPID, MINIIM_WECHAT_SECRET, MINIIM_WECHAT_API_BASE,
 * MINIIM_WECHAT_PUSH_TOKEN, MINIIM_WECHAT_PUSH_AES_KEY, MINIIM_WECHAT_PUSH_MODE,
 * MINIIM_WECHAT_USE_UNIONID, MINIIM_WECHAT_TOKEN_MODE.
 * The env app replaces a file app with the same appId and is put first.
 */
export function foldWechatEnv(raw: Obj, env: NodeJS.ProcessEnv): Map<string, string> {
  const names = new Map<string, string>();
  if (!hasEnvPrefix(env, 'MINIIM_WECHAT_')) return names;
  const get = (n: string) => envValue(env, n);
  const w = envSection(raw, 'wechat');
  const appId = get('MINIIM_WECHAT_APPID');
  if (appId !== undefined) {
    const apps: unknown[] = Array.isArray(w.apps) ? w.apps : [];
    const app: Obj = { appId, secret: get('MINIIM_WECHAT_SECRET') };
    const token = get('MINIIM_WECHAT_PUSH_TOKEN');
    if (token !== undefined) app.token = token;
    const aesKey = get('MINIIM_WECHAT_PUSH_AES_KEY');
    if (aesKey !== undefined) app.encodingAESKey = aesKey;
    const pushMode = get('MINIIM_WECHAT_PUSH_MODE');
    if (pushMode !== undefined) app.pushMode = pushMode;
    const union = get('MINIIM_WECHAT_USE_UNIONID');
    if (union !== undefined) {
      const flag = envFlag(union);
      if (flag === undefined) throw new EnvValueError('MINIIM_WECHAT_USE_UNIONID', 'must be true or false');
      app.useUnionId = flag;
    }
    w.apps = [app, ...apps.filter((a) => (a as Obj | null)?.appId !== appId)];
    names.set('wechat.apps.0.appId', 'MINIIM_WECHAT_APPID');
    names.set('wechat.apps.0.secret', 'MINIIM_WECHAT_SECRET');
    names.set('wechat.apps.0.token', 'MINIIM_WECHAT_PUSH_TOKEN');
    names.set('wechat.apps.0.encodingAESKey', 'MINIIM_WECHAT_PUSH_AES_KEY');
    names.set('wechat.apps.0.pushMode', 'MINIIM_WECHAT_PUSH_MODE');
    names.set('wechat.apps.0.useUnionId', 'MINIIM_WECHAT_USE_UNIONID');
  } else if (get('MINIIM_WECHAT_SECRET') !== undefined) {
    throw new EnvValueError('MINIIM_WECHAT_APPID', 'required with MINIIM_WECHAT_SECRET');
  }
  const base = get('MINIIM_WECHAT_API_BASE');
  if (base !== undefined) {
    w.apiBase = base;
    names.set('wechat.apiBase', 'MINIIM_WECHAT_API_BASE');
  }
  const mode = get('MINIIM_WECHAT_TOKEN_MODE');
  if (mode !== undefined) {
    w.tokenMode = mode;
    names.set('wechat.tokenMode', 'MINIIM_WECHAT_TOKEN_MODE');
  }
  return names;
}
