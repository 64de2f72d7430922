/**
 * Every WeChat request/response shape and error code the tests (and the fake
 * WeChat server) use, each with the developers.weixin.qq.com page it comes
 * from. Types come from the client (src/wechat/wechat-api.ts), so a shape that
 * drifts from the client fails type-checking here.
 */
import { createCipheriv, createHash } from 'node:crypto';
import type {
  AccessTokenResult,
  Code2SessionResult,
  MediaCheckAsyncRequest,
  MsgSecCheckRequest,
  MsgSecCheckResult,
  SubscribeSendRequest,
} from '../../src/wechat/wechat-api.js';

/** Documentation pages, by API. */
export const DOCS = {
  code2Session: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html',
  stableToken: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getStableAccessToken.html',
  classicToken: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getAccessToken.html',
  msgSecCheck: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/msgSecCheck.html',
  mediaCheckAsync: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/mediaCheckAsync.html',
  subscribeSend: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html',
  requestSubscribe: 'https://developers.weixin.qq.com/miniprogram/dev/api/open-api/subscribe-message/wx.requestSubscribeMessage.html',
  messagePush: 'https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html',
  signature: 'https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html',
  globalCodes: 'https://developers.weixin.qq.com/doc/oplatform/Return_codes/Return_code_descriptions_new.html',
} as const;

/** Error answers (`{errcode, errmsg}`), as WeChat writes them. */
export const ERRORS = {
  // DOCS.code2Session ("errcode 的合法值")
  systemBusy: { errcode: -1, errmsg: 'system error' },
  invalidCode: { errcode: 40029, errmsg: 'invalid code' },
  codeBeenUsed: { errcode: 40163, errmsg: 'code been used' },
  freqLimit: { errcode: 45011, errmsg: 'api minute-quota reach limit  mustslower  retry next minute' },
  highRiskUser: { errcode: 40226, errmsg: 'code blocked' },
  // DOCS.globalCodes
  invalidAppid: { errcode: 40013, errmsg: 'invalid appid' },
  invalidAppsecret: { errcode: 40125, errmsg: 'invalid appsecret' },
  invalidCredential: { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' },
  accessTokenExpired: { errcode: 42001, errmsg: 'access_token expired' },
  invalidArgs: { errcode: 40097, errmsg: 'invalid args' },
  invalidOpenid: { errcode: 40003, errmsg: 'invalid openid' },
  // DOCS.subscribeSend ("错误码")
  invalidTemplateId: { errcode: 40037, errmsg: 'invalid template_id' },
  userRefused: { errcode: 43101, errmsg: 'user refuse to accept the msg' },
  invalidTemplateData: { errcode: 47003, errmsg: 'argument invalid! data.thing1.value invalid' },
} as const;

export const OK = { errcode: 0, errmsg: 'ok' } as const;

// DOCS.code2Session — GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code
export const code2SessionQuery = (appid: string, secret: string, jsCode: string) => ({
  appid,
  secret,
  js_code: jsCode,
  grant_type: 'authorization_code',
});
export const code2SessionOk = (s: Code2SessionResult): Code2SessionResult & { errcode?: 0 } => ({ ...s });

// DOCS.stableToken — POST /cgi-bin/stable_token {grant_type: "client_credential", appid, secret, force_refresh?}
export const stableTokenRequest = (appid: string, secret: string, forceRefresh = false) => ({
  grant_type: 'client_credential',
  appid,
  secret,
  force_refresh: forceRefresh,
});
// DOCS.stableToken / DOCS.classicToken — both answer {access_token, expires_in}
export const tokenOk = (accessToken: string, expiresIn = 7200): AccessTokenResult => ({
  access_token: accessToken,
  expires_in: expiresIn,
});

// DOCS.msgSecCheck — POST /wxa/msg_sec_check?access_token=… (version 2)
export const msgSecCheckRequest = (content: string, openid: string, scene: 1 | 2 | 3 | 4 = 2): MsgSecCheckRequest => ({
  content,
  version: 2,
  scene,
  openid,
});
/** result.label: 100 normal, 10001 ads, 20001 politics, 20002 porn, 20003 abuse, 20006 crime, … */
export const msgSecCheckAnswer = (
  suggest: 'pass' | 'risky' | 'review',
  label = suggest === 'pass' ? 100 : 20002,
  traceId = 'trace-0001',
): MsgSecCheckResult & typeof OK => ({
  ...OK,
  trace_id: traceId,
  result: { suggest, label },
  detail: [
    { strategy: 'content_model', errcode: 0, suggest, label, prob: suggest === 'pass' ? 0 : 90 },
    { strategy: 'keyword', errcode: 0, suggest, label, ...(suggest === 'pass' ? {} : { keyword: 'x' }) },
  ],
});

// DOCS.mediaCheckAsync — POST /wxa/media_check_async?access_token=… ; answer {errcode, errmsg, trace_id}
export const mediaCheckAsyncRequest = (mediaUrl: string, openid: string, mediaType: 1 | 2 = 2): MediaCheckAsyncRequest => ({
  media_url: mediaUrl,
  media_type: mediaType,
  version: 2,
  scene: 2,
  openid,
});
export const mediaCheckAsyncOk = (traceId: string) => ({ ...OK, trace_id: traceId });

// DOCS.mediaCheckAsync ("异步检测结果推送") + DOCS.messagePush — JSON data format
export const mediaCheckPushJson = (appid: string, traceId: string, suggest: 'pass' | 'risky' | 'review', label = 100) => ({
  ToUserName: 'gh_38cc49f9733b',
  FromUserName: 'oUwaE5yHa9kyaNdD0w5ggtWvVlG4',
  CreateTime: 1626959646,
  MsgType: 'event',
  Event: 'wxa_media_check',
  appid,
  trace_id: traceId,
  version: 2,
  detail: [{ strategy: 'content_model', errcode: 0, suggest, label, prob: 90 }],
  errcode: 0,
  errmsg: 'ok',
  result: { suggest, label },
});
// Same event in the XML data format.
export const mediaCheckPushXml = (appid: string, traceId: string, suggest: 'pass' | 'risky' | 'review', label = 100) =>
  `<xml><ToUserName><![CDATA[gh_38cc49f9733b]]></ToUserName><FromUserName><![CDATA[oUwaE5yHa9kyaNdD0w5ggtWvVlG4]]></FromUserName>` +
  `<CreateTime>1626959646</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[wxa_media_check]]></Event>` +
  `<appid><![CDATA[${appid}]]></appid><trace_id><![CDATA[${traceId}]]></trace_id><version>2</version>` +
  `<detail><strategy><![CDATA[content_model]]></strategy><errcode>0</errcode><suggest><![CDATA[${suggest}]]></suggest><label>${label}</label><prob>90</prob></detail>` +
  `<errcode>0</errcode><errmsg><![CDATA[ok]]></errmsg><result><suggest><![CDATA[${suggest}]]></suggest><label>${label}</label></result></xml>`;

/** DOCS.messagePush: signature = sha1(sort([token, timestamp, nonce]).join('')). */
export const pushQuery = (token: string, timestamp = '1700000000', nonce = 'n0nce123', echostr?: string) => {
  const signature = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
  return { signature, timestamp, nonce, ...(echostr === undefined ? {} : { echostr }) };
};

// DOCS.subscribeSend — POST /cgi-bin/message/subscribe/send?access_token=…
export const subscribeSendRequest = (touser: string, templateId: string): SubscribeSendRequest => ({
  touser,
  template_id: templateId,
  page: 'pages/chat/chat?conv=d%3Aa%3Ab',
  data: { thing1: { value: '张三' }, thing2: { value: '你好' }, time3: { value: '2024-01-02 15:04' } },
  miniprogram_state: 'formal',
  lang: 'zh_CN',
});
/** Value limits of template field types (DOCS.subscribeSend, "订阅消息参数值内容限制说明"). */
export const TEMPLATE_FIELD_LIMITS = {
  thing: 20,
  name: 10,
  phrase: 5,
  character_string: 32,
  number: 32,
} as const;

// DOCS.requestSubscribe — success callback: {errMsg, [TEMPLATE_ID]: 'accept' | 'reject' | 'ban' | 'filter'}
export const requestSubscribeResult = (results: Record<string, 'accept' | 'reject' | 'ban' | 'filter'>) => ({
  errMsg: 'requestSubscribeMessage:ok',
  ...results,
});

/** DOCS.signature: rawData + signature = sha1(rawData + session_key). */
export const signRawData = (rawData: string, sessionKey: string) =>
  createHash('sha1')
    .update(rawData + sessionKey)
    .digest('hex');

/**
 * DOCS.signature ("加密数据解密算法"): encryptedData = base64(AES-128-CBC(PKCS#7)
 * of the JSON, key = base64-decoded session_key, iv = base64-decoded iv); the
 * JSON carries `watermark: {appid, timestamp}`.
 */
export function encryptUserData(data: Record<string, unknown>, sessionKey: string, iv: Buffer): string {
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv);
  return Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]).toString('base64');
}
export const userInfoPlain = (appid: string, openId: string, extra: Record<string, unknown> = {}) => ({
  openId,
  nickName: '微信用户',
  gender: 0,
  city: '',
  province: '',
  country: '',
  avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132',
  watermark: { appid, timestamp: 1700000000 },
  ...extra,
});
