/**
 * WeChat error codes this server reacts to. Sources:
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html,
 * https://developers.weixin.qq.com/doc/oplatform/Return_codes/Return_code_descriptions_new.html
 */
export const WechatErrcode = {
  systemBusy: -1,
  ok: 0,
  invalidCredential: 40001,
  invalidOpenid: 40003,
  invalidAppid: 40013,
  invalidCode: 40029,
  invalidTemplateId: 40037,
  invalidAppsecret: 40125,
  codeBeenUsed: 40163,
  highRiskUser: 40226,
  accessTokenExpired: 42001,
  userRefusedSubscribe: 43101,
  freqLimit: 45011,
  invalidTemplateData: 47003,
  userNotVisitedRecently: 61010,
  riskyContent: 87014,
} as const;

/** WeChat answered with `errcode != 0`. `errmsg` never contains our secrets. */
export class WechatApiError extends Error {
  readonly errcode: number;
  readonly errmsg: string;
  readonly api: string;

  constructor(api: string, errcode: number, errmsg: string) {
    super(`${api}: errcode ${errcode} (${errmsg})`);
    this.name = 'WechatApiError';
    this.api = api;
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
}

/**
 * WeChat could not be reached or did not answer with JSON: network error,
 * timeout, HTTP status other than 200, or an unreadable body.
 */
export class WechatUnreachableError extends Error {
  readonly api: string;

  constructor(api: string, reason: string) {
    super(`${api}: WeChat unreachable (${reason})`);
    this.name = 'WechatUnreachableError';
    this.api = api;
  }
}

/** True for errors that mean "the access token is not (or no longer) valid". */
export function isTokenError(err: unknown): boolean {
  return err instanceof WechatApiError && (err.errcode === WechatErrcode.invalidCredential || err.errcode === WechatErrcode.accessTokenExpired);
}
