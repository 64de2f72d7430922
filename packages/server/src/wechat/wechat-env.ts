/**
 * Folds the WeChat and moderation environment variables into the `wechat` and
 * `moderation` sections of the raw config (file / overrides), so one schema
 * validates both. Returns dotted config paths → env names, for error messages.
 */

const on = (v: string) => ['1', 'true', 'on', 'yes'].includes(v.toLowerCase());
const onOff = (v: string) => ['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'].includes(v.toLowerCase());

/** Thrown for an env value that cannot be folded; `name` is the variable. */
export class EnvValueError extends Error {
  constructor(
    readonly envName: string,
    message: string,
  ) {
    super(message);
  }
}

type Obj = Record<string, unknown>;

function section(raw: Obj, key: string): Obj {
  const v = raw[key];
  const s: Obj = typeof v === 'object' && v !== null && !Array.isArray(v) ? structuredClone(v as Obj) : {};
  raw[key] = s;
  return s;
}

function stage(parent: Obj, key: string): Obj {
  const v = parent[key];
  const s: Obj = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
  if (s.enabled === undefined) s.enabled = false;
  parent[key] = s;
  return s;
}

/**
 * Env names: MINIIM_WECHAT_APPID, MINIIM_WECHAT_SECRET, MINIIM_WECHAT_API_BASE,
 * MINIIM_WECHAT_PUSH_TOKEN, MINIIM_WECHAT_PUSH_AES_KEY, MINIIM_WECHAT_PUSH_MODE,
 * MINIIM_WECHAT_USE_UNIONID, MINIIM_WECHAT_TOKEN_MODE, MINIIM_MODERATION_KEYWORDS_FILE,
 * MINIIM_MODERATION_WECHAT, MINIIM_MODERATION_FAIL_POLICY, MINIIM_MODERATION_REVIEW,
 * MINIIM_MODERATION_WEBHOOK_URL, MINIIM_MODERATION_WEBHOOK_SECRET.
 * The env app replaces a file app with the same appId and is put first.
 */
export function foldWechatEnv(raw: Obj, env: NodeJS.ProcessEnv): Map<string, string> {
  const names = new Map<string, string>();
  const get = (n: string) => (env[n] !== undefined && env[n] !== '' ? env[n] : undefined);
  const wechatVars = Object.keys(env).some((k) => k.startsWith('MINIIM_WECHAT_') && get(k) !== undefined);
  if (wechatVars) {
    const w = section(raw, 'wechat');
    const appId = get('MINIIM_WECHAT_APPID');
    if (appId !== undefined) {
      const apps = Array.isArray(w.apps) ? (w.apps as Obj[]) : [];
      const app: Obj = { appId, secret: get('MINIIM_WECHAT_SECRET') };
      const token = get('MINIIM_WECHAT_PUSH_TOKEN');
      if (token !== undefined) app.token = token;
      const aesKey = get('MINIIM_WECHAT_PUSH_AES_KEY');
      if (aesKey !== undefined) app.encodingAESKey = aesKey;
      const pushMode = get('MINIIM_WECHAT_PUSH_MODE');
      if (pushMode !== undefined) app.pushMode = pushMode;
      const union = get('MINIIM_WECHAT_USE_UNIONID');
      if (union !== undefined) {
        if (!onOff(union)) throw new EnvValueError('MINIIM_WECHAT_USE_UNIONID', 'must be true or false');
        app.useUnionId = on(union);
      }
      w.apps = [app, ...apps.filter((a) => a?.appId !== appId)];
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
  }

  const modVars = Object.keys(env).some((k) => k.startsWith('MINIIM_MODERATION_') && get(k) !== undefined);
  if (modVars) {
    const m = section(raw, 'moderation');
    const file = get('MINIIM_MODERATION_KEYWORDS_FILE');
    if (file !== undefined) {
      Object.assign(stage(m, 'keywords'), { enabled: true, file });
      names.set('moderation.keywords.file', 'MINIIM_MODERATION_KEYWORDS_FILE');
    }
    const wx = get('MINIIM_MODERATION_WECHAT');
    if (wx !== undefined) {
      if (!onOff(wx)) throw new EnvValueError('MINIIM_MODERATION_WECHAT', 'must be on or off');
      stage(m, 'wechat').enabled = on(wx);
    }
    // One setting for both remote stages.
    for (const [env, field] of [
      ['MINIIM_MODERATION_FAIL_POLICY', 'failPolicy'],
      ['MINIIM_MODERATION_REVIEW', 'onReview'],
    ] as const) {
      const v = get(env);
      if (v === undefined) continue;
      for (const st of ['wechat', 'webhook'] as const) {
        stage(m, st)[field] = v;
        names.set(`moderation.${st}.${field}`, env);
      }
    }
    const url = get('MINIIM_MODERATION_WEBHOOK_URL');
    if (url !== undefined) {
      Object.assign(stage(m, 'webhook'), { enabled: true, url });
      names.set('moderation.webhook.url', 'MINIIM_MODERATION_WEBHOOK_URL');
    }
    const secret = get('MINIIM_MODERATION_WEBHOOK_SECRET');
    if (secret !== undefined) {
      stage(m, 'webhook').secret = secret;
      names.set('moderation.webhook.secret', 'MINIIM_MODERATION_WEBHOOK_SECRET');
    }
  }
  return names;
}
