/**
 * Every WeChat request/response shape and error code the tests (and the fake
 * WeChat server) use, each with the developers.weixin.qq.com page it comes
 * from. Types come from the client (src/wechat/wechat-api.ts), so a shape that
 * drifts from the client fails type-checking here.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type {
  AccessTokenResult,
  Code2SessionResult,
  MediaCheckAsyncRequest,
  MsgSecCheckRequest,
  MsgSecCheckResult,
  SubscribeSendRequest,
} from '../../src/wechat/wechat-api.js';

/**
 * Documentation pages, by API (developers.weixin.qq.com, read for facts; no
 * code copied). `community` entries are developer reports of real answers.
 */
export const DOCS = {
  code2Session: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html',
  stableToken: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getStableAccessToken.html',
  /** Same API, page with the "普通模式 / 强制刷新模式" and 5-minute overlap notes. */
  stableTokenNotes: 'https://developers.weixin.qq.com/minigame/dev/api-backend/open-api/access-token/auth.getStableAccessToken.html',
  classicToken: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getAccessToken.html',
  msgSecCheck: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/msgSecCheck.html',
  mediaCheckAsync: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/mediaCheckAsync.html',
  subscribeSend: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html',
  /** The same send API's page with the keyword-type table ("订阅消息参数值内容限制说明"). */
  subscribeSendTable: 'https://developers.weixin.qq.com/minigame/dev/api-backend/open-api/subscribe-message/subscribeMessage.send.html',
  requestSubscribe: 'https://developers.weixin.qq.com/miniprogram/dev/api/open-api/subscribe-message/wx.requestSubscribeMessage.html',
  messagePush: 'https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html',
  /** Safe-mode layout: AESKey = base64(EncodingAESKey + "="), random(16) + msg_len(4) + msg + appid, PKCS#7 to 32. */
  pushEncryption: 'https://developers.weixin.qq.com/doc/oplatform/developers/dev/push/encryption.md',
  pushEncryptionPlan: 'https://developers.weixin.qq.com/doc/oplatform/en/Third-party_Platforms/Message_Encryption/Technical_Plan.html',
  signature: 'https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html',
  getPhoneNumber: 'https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html',
  /** Same API: the page showing phone_info's fields and the request/answer examples. */
  getPhoneNumberFields: 'https://developers.weixin.qq.com/minigame/dev/api-backend/open-api/phonenumber/phonenumber.getPhoneNumber.html',
  phoneButton: 'https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/getPhoneNumber.html',
  globalCodes: 'https://developers.weixin.qq.com/doc/oplatform/Return_codes/Return_code_descriptions_new.html',
  community: {
    /** `{"errcode":40163,"errmsg":"code been used, rid: …"}` from jscode2session (not in the code2Session table). */
    codeBeenUsed: 'https://developers.weixin.qq.com/community/develop/doc/000e4a9bb844385d37ec5bcea51800',
    /** msgSecCheck v2 answers: the `keyword` strategy entry is `{strategy, errcode: 0}` with no suggest/label/keyword. */
    keywordStrategy: 'https://developers.weixin.qq.com/community/personal/oCJUswyegqIQs_KsfE4VW-NBnCiM/question',
    /** wxa_media_check push with `errcode: -1008` ("下载错误,请检查媒体链接是否有效"), `detail: []`, no result. */
    mediaDownloadError: 'https://developers.weixin.qq.com/community/develop/doc/000e26cc2748086452a3afadc64c00',
    /** Another -1008 push (audio). */
    mediaDownloadError2: 'https://developers.weixin.qq.com/community/minihome/doc/0006828b6380a0c2d024a51f061800',
    /** wxa_media_check push with errcode 43104 ("this appid does not have permission"), `detail: []`. */
    mediaNoPermission: 'https://developers.weixin.qq.com/community/develop/doc/000acc0c2c03c02a661401a5661400',
    /** wxa_media_check push with `label: "100"` (a string) in result and detail, and no errcode field. */
    mediaStringLabel: 'https://developers.weixin.qq.com/community/minihome/doc/0002a2b26a09f883de245df686b000',
    /** 47003 for a `time` value written `2023-08-21 22:48:54` (and an empty thing). */
    subscribe47003: 'https://developers.weixin.qq.com/community/personal/oCJUsw9bVNp3pHD6colk2xuvdCis/question',
  },
} as const;

/** Error answers (`{errcode, errmsg}`), as WeChat writes them. */
export const ERRORS = {
  // DOCS.code2Session ("errcode 的合法值")
  systemBusy: { errcode: -1, errmsg: 'system error' },
  invalidCode: { errcode: 40029, errmsg: 'invalid code' },
  freqLimit: { errcode: 45011, errmsg: 'api minute-quota reach limit  mustslower  retry next minute' },
  highRiskUser: { errcode: 40226, errmsg: 'code blocked' },
  // DOCS.community.codeBeenUsed — real, but not in the code2Session table.
  codeBeenUsed: { errcode: 40163, errmsg: 'code been used, rid: 6166f719-6cb5d09c-633ab469' },
  // DOCS.globalCodes
  invalidAppid: { errcode: 40013, errmsg: 'invalid appid' },
  invalidAppsecret: { errcode: 40125, errmsg: 'invalid appsecret' },
  invalidCredential: { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' },
  accessTokenExpired: { errcode: 42001, errmsg: 'access_token expired' },
  invalidArgs: { errcode: 40097, errmsg: 'invalid args' },
  // DOCS.classicToken / DOCS.stableToken (grant_type other than client_credential)
  invalidGrantType: { errcode: 40002, errmsg: 'invalid grant_type' },
  // DOCS.msgSecCheck ("错误码"): openid, scene, empty body, unreadable body
  invalidOpenid: { errcode: 40003, errmsg: 'invalid openid' },
  invalidScene: { errcode: 40129, errmsg: 'invalid scene' },
  emptyPostData: { errcode: 44002, errmsg: 'empty post data' },
  dataFormatError: { errcode: 47001, errmsg: 'data format error' },
  // DOCS.subscribeSend ("错误码")
  invalidTemplateId: { errcode: 40037, errmsg: 'invalid template_id' },
  userRefused: { errcode: 43101, errmsg: 'user refuse to accept the msg' },
  invalidTemplateData: { errcode: 47003, errmsg: 'argument invalid! data.thing1.value invalid' },
} as const;

/** Success answer of every API (DOCS.globalCodes: 0 请求成功). */
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
/**
 * DOCS.msgSecCheck answer; result.label: 100 normal, 10001 ads, 20001 politics,
 * 20002 porn, 20003 abuse, 20006 crime, … The `keyword` strategy entry carries
 * no suggest/label/keyword unless a word list of the app matched
 * (DOCS.community.keywordStrategy).
 */
export const msgSecCheckAnswer = (
  suggest: 'pass' | 'risky' | 'review',
  label = suggest === 'pass' ? 100 : 20002,
  traceId = '63576133-0b1a7344-7e107045',
): MsgSecCheckResult & typeof OK => ({
  ...OK,
  detail: [
    { strategy: 'content_model', errcode: 0, suggest, label, prob: 90 },
    { strategy: 'keyword', errcode: 0 },
  ],
  trace_id: traceId,
  result: { suggest, label },
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

// DOCS.mediaCheckAsync ("异步检测结果推送") + DOCS.messagePush — JSON data format.
// `stringLabels`: labels written as strings, as real pushes do (DOCS.community.mediaStringLabel).
export const mediaCheckPushJson = (appid: string, traceId: string, suggest: 'pass' | 'risky' | 'review', label = 100, stringLabels = false) => {
  const l = stringLabels ? String(label) : label;
  return {
    ToUserName: 'gh_38cc49f9733b',
    FromUserName: 'oUwaE5yHa9kyaNdD0w5ggtWvVlG4',
    CreateTime: 1626959646,
    MsgType: 'event',
    Event: 'wxa_media_check',
    appid,
    trace_id: traceId,
    version: 2,
    detail: [{ strategy: 'content_model', errcode: 0, suggest, label: l, prob: 90 }],
    errcode: 0,
    errmsg: 'ok',
    result: { suggest, label: l },
  };
};
/**
 * A push for a check that could not be done: `errcode` ≠ 0, `detail: []`, no
 * result. -1008 = WeChat could not download the media (DOCS.community.mediaDownloadError);
 * 43104 = the appid lacks the permission (DOCS.community.mediaNoPermission).
 */
export const mediaCheckPushError = (appid: string, traceId: string, errcode = -1008, errmsg = '下载错误,请检查媒体链接是否有效') => ({
  ToUserName: 'gh_487e1c516980',
  FromUserName: 'oJtZ67bfIyG6JQ3rToA5D2I2GBhI',
  CreateTime: 1762315062,
  MsgType: 'event',
  Event: 'wxa_media_check',
  appid,
  trace_id: traceId,
  version: 2,
  detail: [],
  errcode,
  errmsg,
});
// Same event in the XML data format (DOCS.messagePush: 数据格式 XML).
export const mediaCheckPushXml = (appid: string, traceId: string, suggest: 'pass' | 'risky' | 'review', label = 100) =>
  `<xml><ToUserName><![CDATA[gh_38cc49f9733b]]></ToUserName><FromUserName><![CDATA[oUwaE5yHa9kyaNdD0w5ggtWvVlG4]]></FromUserName>` +
  `<CreateTime>1626959646</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[wxa_media_check]]></Event>` +
  `<appid><![CDATA[${appid}]]></appid><trace_id><![CDATA[${traceId}]]></trace_id><version>2</version>` +
  `<detail><strategy><![CDATA[content_model]]></strategy><errcode>0</errcode><suggest><![CDATA[${suggest}]]></suggest><label>${label}</label><prob>90</prob></detail>` +
  `<errcode>0</errcode><errmsg><![CDATA[ok]]></errmsg><result><suggest><![CDATA[${suggest}]]></suggest><label>${label}</label></result></xml>`;
/** The -1008 push (DOCS.community.mediaDownloadError) in the XML data format (DOCS.messagePush). */
export const mediaCheckPushErrorXml = (appid: string, traceId: string, errcode = -1008) =>
  `<xml><ToUserName><![CDATA[gh_487e1c516980]]></ToUserName><FromUserName><![CDATA[oJtZ67bfIyG6JQ3rToA5D2I2GBhI]]></FromUserName>` +
  `<CreateTime>1762315062</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[wxa_media_check]]></Event>` +
  `<appid><![CDATA[${appid}]]></appid><trace_id><![CDATA[${traceId}]]></trace_id><version>2</version>` +
  `<errcode>${errcode}</errcode><errmsg><![CDATA[下载错误,请检查媒体链接是否有效]]></errmsg></xml>`;

/** DOCS.messagePush: signature = sha1(sort([token, timestamp, nonce]).join('')). */
export const pushQuery = (token: string, timestamp = '1700000000', nonce = 'n0nce123', echostr?: string) => {
  const signature = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
  return { signature, timestamp, nonce, ...(echostr === undefined ? {} : { echostr }) };
};

/**
 * DOCS.pushEncryption / DOCS.pushEncryptionPlan (safe mode): AESKey =
 * base64-decode(EncodingAESKey + "="), 32 bytes; IV = its first 16 bytes;
 * AES-256-CBC over random(16) + msg_len (4 bytes, network order) + msg + appid,
 * PKCS#7-padded to a multiple of 32; the body carries it base64 as `Encrypt`.
 */
export function encryptPushMessage(plain: string, encodingAESKey: string, appid: string): string {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  const msg = Buffer.from(plain, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length);
  const body = Buffer.concat([randomBytes(16), len, msg, Buffer.from(appid, 'utf8')]);
  const pad = 32 - (body.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}
/** Safe-mode JSON body (DOCS.pushEncryption): `{ToUserName, Encrypt}`; compatible mode also keeps the plain fields. */
export const encryptedPushJson = (encrypt: string, plainFields: Record<string, unknown> = {}) =>
  JSON.stringify({ ToUserName: 'gh_38cc49f9733b', ...plainFields, Encrypt: encrypt });
/** Safe-mode XML body (DOCS.pushEncryption): `<xml><ToUserName/><Encrypt/></xml>`. */
export const encryptedPushXml = (encrypt: string) => `<xml><ToUserName><![CDATA[gh_38cc49f9733b]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
/**
 * DOCS.pushEncryption: the query of an encrypted push adds `encrypt_type=aes` and
 * `msg_signature = sha1(sort([token, timestamp, nonce, Encrypt]).join(''))`.
 */
export const encryptedPushQuery = (token: string, encrypt: string, timestamp = '1714037059', nonce = '486452656') => {
  const msg_signature = createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex');
  return { ...pushQuery(token, timestamp, nonce), encrypt_type: 'aes', msg_signature };
};

// DOCS.subscribeSend — POST /cgi-bin/message/subscribe/send?access_token=…
export const subscribeSendRequest = (touser: string, templateId: string): SubscribeSendRequest => ({
  touser,
  template_id: templateId,
  page: 'pages/chat/chat?conv=d%3Aa%3Ab',
  data: { thing1: { value: '张三' }, thing2: { value: '你好' }, time3: { value: '2024年1月2日 15:04' } },
  miniprogram_state: 'formal',
  lang: 'zh_CN',
});

const han = /\p{Script=Han}/u;
const clock = '\\d{1,2}:\\d{2}';
const ymd = '\\d{4}年\\d{1,2}月\\d{1,2}日';
const range = (one: string) => new RegExp(`^${one}(?:~${one})?$`);
const len = (v: string) => Array.from(v).length;

/**
 * The keyword types of subscribe-message templates and their value rules, as
 * the table "订阅消息参数值内容限制说明" (DOCS.subscribeSendTable) writes them;
 * the fake answers 47003 for a value that breaks its type's rule. The key's
 * type is its name without the trailing number (`thing1` → `thing`).
 */
export const KEYWORD_RULES: Record<string, (v: string) => boolean> = {
  // 20个以内字符: 汉字、数字、字母或符号
  thing: (v) => len(v) <= 20,
  // 32位以内数字, 只能数字, 可带小数
  number: (v) => len(v) <= 32 && /^\d+(?:\.\d+)?$/.test(v),
  // 32位以内字母, 只能字母
  letter: (v) => /^[A-Za-z]{1,32}$/.test(v),
  // 5位以内符号, 只能符号
  symbol: (v) => /^[^\p{L}\p{N}\s]{1,5}$/u.test(v),
  // 32位以内数字、字母或符号
  character_string: (v) => /^[\x21-\x7e]{1,32}$/.test(v),
  // 24小时制时间格式(支持+年月日), 时间段用 "~": 15:01 / 2019年10月1日 15:01
  time: (v) => range(`(?:${ymd} )?${clock}`).test(v),
  // 年月日格式(支持+24小时制时间): 2019年10月1日 / 2019年10月1日 15:01
  date: (v) => range(`${ymd}(?: ${clock})?`).test(v),
  // 1个币种符号 + 10位以内纯数字, 可带小数, 结尾可带 "元"
  amount: (v) => /^[¥￥$€£]?\d{1,10}(?:\.\d{1,2})?元?$/.test(v),
  // 17位以内, 数字、符号: +86-0766-66888866
  phone_number: (v) => /^[0-9+\-()#* ]{1,17}$/.test(v),
  // 8位以内, 第一位与最后一位可为汉字, 其余为字母或数字: 粤A8Z888挂
  car_number: (v) => len(v) <= 8 && /^[\p{Script=Han}A-Za-z0-9][A-Za-z0-9]*[\p{Script=Han}A-Za-z0-9]?$/u.test(v),
  // 10个以内纯汉字或20个以内纯字母或符号; 中文和字母混合按中文名算, 10个字内 (no digits)
  name: (v) => !/[\p{N}\p{Extended_Pictographic}]/u.test(v) && len(v) <= (han.test(v) ? 10 : 20),
  // 5个以内纯汉字: 配送中
  phrase: (v) => /^\p{Script=Han}{1,5}$/u.test(v),
  // 只能上传枚举值范围内的字段值 (the range is the template's; not checked here)
  enum: () => true,
};

/** DOCS.subscribeSend: 47003 names the field ("errmsg 会提示具体是哪个字段出错"); wording from DOCS.community.subscribe47003. */
export const invalidKeyword = (key: string, empty: boolean) => ({
  errcode: 47003,
  errmsg: `argument invalid! data.${key}.value ${empty ? 'is empty' : 'invalid'} rid: 64e41852-5c2e1227-2885cbfa`,
});

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
/** DOCS.signature: the decrypted user info, with `watermark: {appid, timestamp}`. */
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

// DOCS.getPhoneNumber — POST /wxa/business/getuserphonenumber?access_token=… {code};
// each code works once and for 5 minutes; answer fields from DOCS.getPhoneNumberFields
// (countryCode is typed string in the table but a number in the example: both occur).
export const phoneNumberOk = (appid: string, purePhoneNumber = '13800138000', countryCode: string | number = '86', timestamp = 1637744274) => ({
  ...OK,
  phone_info: {
    phoneNumber: String(countryCode) === '86' ? purePhoneNumber : `+${countryCode}${purePhoneNumber}`,
    purePhoneNumber,
    countryCode,
    watermark: { timestamp, appid },
  },
});
/** DOCS.phoneButton: the `bindgetphonenumber` event detail of the new-style button. */
export const phoneButtonDetail = (code: string) => ({ errMsg: 'getPhoneNumber:ok', code });
