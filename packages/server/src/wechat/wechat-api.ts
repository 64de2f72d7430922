import { DEFAULT_WECHAT_API_BASE, DEFAULT_WECHAT_TIMEOUT_MS } from './wechat-config.js';
import { WechatApiError, WechatUnreachableError } from './wechat-errors.js';

/** Answer of GET /sns/jscode2session. */
export interface Code2SessionResult {
  openid: string;
  session_key: string;
  unionid?: string;
}

/** Answer of /cgi-bin/stable_token and /cgi-bin/token. */
export interface AccessTokenResult {
  access_token: string;
  expires_in: number;
}

/** `msgSecCheck` v2 request body (without access_token). */
export interface MsgSecCheckRequest {
  content: string;
  version: 2;
  /** 1 profile, 2 comment, 3 forum, 4 social log. */
  scene: 1 | 2 | 3 | 4;
  openid: string;
  title?: string;
  nickname?: string;
  signature?: string;
}

export type WechatSuggest = 'risky' | 'pass' | 'review';

/** `msgSecCheck` v2 answer. */
export interface MsgSecCheckResult {
  trace_id?: string;
  result: { suggest: WechatSuggest; label: number };
  detail?: Array<{
    strategy: string;
    errcode: number;
    suggest?: WechatSuggest;
    label?: number;
    keyword?: string;
    prob?: number;
  }>;
}

/** `mediaCheckAsync` v2 request body (without access_token). */
export interface MediaCheckAsyncRequest {
  media_url: string;
  /** 1 audio, 2 image. */
  media_type: 1 | 2;
  version: 2;
  scene: 1 | 2 | 3 | 4;
  openid: string;
}

/** `subscribeMessage.send` request body (without access_token). */
export interface SubscribeSendRequest {
  touser: string;
  template_id: string;
  page?: string;
  data: Record<string, { value: string }>;
  miniprogram_state?: 'developer' | 'trial' | 'formal';
  lang?: string;
}

/**
 * `phone_info` of getPhoneNumber (POST /wxa/business/getuserphonenumber):
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html
 */
export interface PhoneInfo {
  /** With the country code for numbers outside mainland China. */
  phoneNumber: string;
  purePhoneNumber: string;
  /** Typed string on the page, a number in its example: normalised to a string. */
  countryCode: string;
  watermark: { timestamp: number; appid: string };
}

export interface WechatApiOptions {
  /** Default `https://api.weixin.qq.com`. */
  apiBase?: string;
  /** Per-request timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** Injected for tests; default global fetch. */
  fetch?: typeof fetch;
  /**
   * Told of every call's result (metrics): the API name and WeChat's errcode as text
   * (`0` for success), or `unreachable` (network, timeout, non-200, not JSON).
   */
  onResult?: (api: string, errcode: string) => void;
}

/**
 * Thin client for the WeChat server APIs. Every method throws
 * `WechatApiError` (errcode != 0) or `WechatUnreachableError` (network,
 * timeout, non-200, non-JSON). Secrets and tokens are only put into the
 * request; they never appear in thrown messages.
 */
export class WechatApi {
  readonly apiBase: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly onResult: (api: string, errcode: string) => void;

  constructor(options: WechatApiOptions = {}) {
    this.onResult = options.onResult ?? (() => {});
    this.apiBase = (options.apiBase ?? DEFAULT_WECHAT_API_BASE).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WECHAT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** auth.code2Session: exchange a `wx.login` code. */
  async code2Session(appId: string, secret: string, code: string): Promise<Code2SessionResult> {
    const body = await this.request('code2Session', 'GET', '/sns/jscode2session', {
      appid: appId,
      secret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    if (typeof body.openid !== 'string' || typeof body.session_key !== 'string') {
      throw new WechatUnreachableError('code2Session', 'answer without openid/session_key');
    }
    const out: Code2SessionResult = { openid: body.openid, session_key: body.session_key };
    if (typeof body.unionid === 'string' && body.unionid !== '') out.unionid = body.unionid;
    return out;
  }

  /** getStableAccessToken (POST /cgi-bin/stable_token). */
  async getStableAccessToken(appId: string, secret: string, forceRefresh = false): Promise<AccessTokenResult> {
    const body = await this.request('getStableAccessToken', 'POST', '/cgi-bin/stable_token', undefined, {
      grant_type: 'client_credential',
      appid: appId,
      secret,
      force_refresh: forceRefresh,
    });
    return checkToken('getStableAccessToken', body);
  }

  /** getAccessToken (GET /cgi-bin/token), the classic token. */
  async getAccessToken(appId: string, secret: string): Promise<AccessTokenResult> {
    const body = await this.request('getAccessToken', 'GET', '/cgi-bin/token', {
      grant_type: 'client_credential',
      appid: appId,
      secret,
    });
    return checkToken('getAccessToken', body);
  }

  /** security.msgSecCheck v2. */
  async msgSecCheck(accessToken: string, req: MsgSecCheckRequest): Promise<MsgSecCheckResult> {
    const body = await this.request('msgSecCheck', 'POST', '/wxa/msg_sec_check', { access_token: accessToken }, req);
    const result = body.result as MsgSecCheckResult['result'] | undefined;
    if (!result || !['risky', 'pass', 'review'].includes(result.suggest)) {
      throw new WechatUnreachableError('msgSecCheck', 'answer without result.suggest');
    }
    return body as unknown as MsgSecCheckResult;
  }

  /** security.mediaCheckAsync v2; the verdict arrives later as a `wxa_media_check` push. */
  async mediaCheckAsync(accessToken: string, req: MediaCheckAsyncRequest): Promise<{ trace_id: string }> {
    const body = await this.request('mediaCheckAsync', 'POST', '/wxa/media_check_async', { access_token: accessToken }, req);
    if (typeof body.trace_id !== 'string') throw new WechatUnreachableError('mediaCheckAsync', 'no trace_id');
    return { trace_id: body.trace_id };
  }

  /** subscribeMessage.send. */
  async sendSubscribeMessage(accessToken: string, req: SubscribeSendRequest): Promise<void> {
    await this.request('subscribeMessage.send', 'POST', '/cgi-bin/message/subscribe/send', { access_token: accessToken }, req);
  }

  /** phonenumber.getPhoneNumber: exchange the code of the `getPhoneNumber` button (once, within 5 minutes). */
  async getUserPhoneNumber(accessToken: string, code: string): Promise<PhoneInfo> {
    const body = await this.request('getPhoneNumber', 'POST', '/wxa/business/getuserphonenumber', { access_token: accessToken }, { code });
    const info = body.phone_info as Record<string, unknown> | undefined;
    const mark = info?.watermark as Record<string, unknown> | undefined;
    const cc = info?.countryCode;
    if (
      typeof info?.phoneNumber !== 'string' ||
      typeof info.purePhoneNumber !== 'string' ||
      (typeof cc !== 'string' && typeof cc !== 'number') ||
      typeof mark?.appid !== 'string'
    ) {
      throw new WechatUnreachableError('getPhoneNumber', 'answer without phone_info');
    }
    return {
      phoneNumber: info.phoneNumber,
      purePhoneNumber: info.purePhoneNumber,
      countryCode: String(cc),
      watermark: { appid: mark.appid, timestamp: typeof mark.timestamp === 'number' ? mark.timestamp : 0 },
    };
  }

  private async request(api: string, method: 'GET' | 'POST', path: string, query?: Record<string, string>, json?: unknown): Promise<Record<string, unknown>> {
    try {
      const out = await this.call(api, method, path, query, json);
      this.onResult(api, '0');
      return out;
    } catch (err) {
      this.onResult(api, err instanceof WechatApiError ? String(err.errcode) : 'unreachable');
      throw err;
    }
  }

  private async call(api: string, method: 'GET' | 'POST', path: string, query?: Record<string, string>, json?: unknown): Promise<Record<string, unknown>> {
    const url = new URL(this.apiBase + path);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: json === undefined ? undefined : { 'content-type': 'application/json' },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // Only the error's name/code: undici messages may echo the URL (with its token).
      throw new WechatUnreachableError(api, errorReason(err));
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new WechatUnreachableError(api, errorReason(err));
    }
    if (res.status !== 200) throw new WechatUnreachableError(api, `HTTP ${res.status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new WechatUnreachableError(api, 'answer is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new WechatUnreachableError(api, 'answer is not a JSON object');
    }
    const obj = body as Record<string, unknown>;
    const errcode = typeof obj.errcode === 'number' ? obj.errcode : 0;
    if (errcode !== 0) {
      throw new WechatApiError(api, errcode, typeof obj.errmsg === 'string' ? obj.errmsg.slice(0, 200) : '');
    }
    return obj;
  }
}

function checkToken(api: string, body: Record<string, unknown>): AccessTokenResult {
  if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
    throw new WechatUnreachableError(api, 'answer without access_token/expires_in');
  }
  return { access_token: body.access_token, expires_in: body.expires_in };
}

function errorReason(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return cause.code;
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
    return err.name;
  }
  return 'unknown error';
}
