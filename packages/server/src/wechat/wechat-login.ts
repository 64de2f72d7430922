import { ImError } from '@miniim/protocol';
import type { Logger } from 'pino';
import { encryptSecret } from './secret-box.js';
import { decryptUserData, verifyRawDataSignature } from './user-data.js';
import { wechatUserId } from './user-id.js';
import type { Code2SessionResult, WechatApi } from './wechat-api.js';
import { resolveApp, type WechatConfig } from './wechat-config.js';
import { WechatApiError, WechatErrcode, WechatUnreachableError } from './wechat-errors.js';

/** Everything wechatLogin needs, injected by the HTTP layer. */
export interface WechatLoginDeps {
  config: WechatConfig;
  api: WechatApi;
  /** 32-byte key (see parseSecretKey) used to encrypt session_key at rest. */
  secretKey: Buffer;
  logger?: Logger;
}

/** Body of `POST /api/auth/wechat`. */
export interface WechatLoginBody {
  code?: unknown;
  appId?: unknown;
  rawData?: unknown;
  signature?: unknown;
  encryptedData?: unknown;
  iv?: unknown;
}

export interface WechatLoginResult {
  appId: string;
  openid: string;
  unionid?: string;
  userId: string;
  profile?: { nickname?: string; avatarUrl?: string };
  /** session_key encrypted with encryptSecret; store it server-side, never send it out. */
  sessionKeyEnc: string;
}

/** Retry-After given with 429 for 45011 (WeChat's limit is 100 calls per user per minute). */
export const LOGIN_RATE_LIMIT_RETRY_MS = 60_000;

/**
 * Handles `POST /api/auth/wechat`: validates the body, calls code2Session
 * (retrying once on -1 "system busy"), verifies optional profile data and
 * derives the stable user id. Throws ImError for every failure.
 */
export async function wechatLogin(deps: WechatLoginDeps, body: WechatLoginBody): Promise<WechatLoginResult> {
  if (typeof body !== 'object' || body === null) throw new ImError('bad_request', 'body: must be a JSON object');
  const code = str(body.code, 'code', 256, true)!;
  const appIdIn = str(body.appId, 'appId', 64, false);
  const rawData = str(body.rawData, 'rawData', 16_384, false);
  const signature = str(body.signature, 'signature', 64, false);
  const encryptedData = str(body.encryptedData, 'encryptedData', 65_536, false);
  const iv = str(body.iv, 'iv', 64, false);
  if ((rawData === undefined) !== (signature === undefined)) {
    throw new ImError('bad_request', rawData === undefined ? 'rawData: required with signature' : 'signature: required with rawData');
  }
  if ((encryptedData === undefined) !== (iv === undefined)) {
    throw new ImError('bad_request', encryptedData === undefined ? 'encryptedData: required with iv' : 'iv: required with encryptedData');
  }
  const app = resolveApp(deps.config, appIdIn);
  const session = await code2SessionMapped(deps, app.appId, app.secret, code);

  let profile: WechatLoginResult['profile'];
  if (rawData !== undefined && signature !== undefined) {
    if (!verifyRawDataSignature(rawData, signature, session.session_key)) {
      throw new ImError('unauthorized', 'signature: does not match rawData');
    }
    profile = pickProfile(parseJson(rawData, 'rawData'));
  }
  let unionid = session.unionid;
  if (encryptedData !== undefined && iv !== undefined) {
    const data = decryptUserData(encryptedData, iv, session.session_key, app.appId);
    if (typeof data.openId === 'string' && data.openId !== session.openid) {
      throw new ImError('unauthorized', 'encryptedData: belongs to another user');
    }
    if (!unionid && typeof data.unionId === 'string' && data.unionId !== '') unionid = data.unionId;
    profile = { ...pickProfile(data), ...profile };
  }

  if (app.useUnionId && !unionid) {
    deps.logger?.warn({ appId: app.appId }, 'useUnionId is set but WeChat returned no unionid; using openid');
  }
  const userId = wechatUserId({
    appId: app.appId,
    openid: session.openid,
    unionid: app.useUnionId ? unionid : undefined,
  });
  const result: WechatLoginResult = {
    appId: app.appId,
    openid: session.openid,
    userId,
    sessionKeyEnc: encryptSecret(session.session_key, deps.secretKey),
  };
  if (unionid) result.unionid = unionid;
  if (profile && Object.keys(profile).length > 0) result.profile = profile;
  deps.logger?.info({ appId: app.appId, userId }, 'WeChat login');
  return result;
}

async function code2SessionMapped(deps: WechatLoginDeps, appId: string, secret: string, code: string): Promise<Code2SessionResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await deps.api.code2Session(appId, secret, code);
    } catch (err) {
      if (err instanceof WechatApiError && err.errcode === WechatErrcode.systemBusy && attempt === 0) {
        deps.logger?.warn({ appId }, 'code2Session: WeChat busy (-1); retrying once');
        continue;
      }
      throw mapLoginError(err, deps.logger, appId);
    }
  }
}

/** Maps a code2Session failure to the ImError the client sees. */
export function mapLoginError(err: unknown, logger?: Logger, appId?: string): ImError {
  if (err instanceof ImError) return err;
  if (err instanceof WechatApiError) {
    switch (err.errcode) {
      case WechatErrcode.invalidCode:
        return new ImError('unauthorized', 'code: invalid WeChat login code');
      case WechatErrcode.codeBeenUsed:
        return new ImError('unauthorized', 'code: WeChat login code already used');
      case WechatErrcode.freqLimit:
        return new ImError('rate_limited', 'too many WeChat logins; try again later', LOGIN_RATE_LIMIT_RETRY_MS);
      case WechatErrcode.highRiskUser:
        return new ImError('forbidden', 'WeChat blocked this login (high-risk user)');
      case WechatErrcode.systemBusy:
        return new ImError('unavailable', 'WeChat is busy; try again');
      default:
        logger?.error({ appId, errcode: err.errcode, errmsg: err.errmsg }, 'code2Session failed; check appid/secret');
        return new ImError('internal', 'WeChat login is misconfigured');
    }
  }
  if (err instanceof WechatUnreachableError) {
    logger?.warn({ appId, reason: err.message }, 'code2Session: WeChat unreachable');
    return new ImError('unavailable', 'WeChat is unreachable; try again');
  }
  logger?.error({ appId, err: err instanceof Error ? err.name : String(err) }, 'code2Session: unexpected error');
  return new ImError('internal', 'WeChat login failed');
}

function str(v: unknown, field: string, max: number, required: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (required) throw new ImError('bad_request', `${field}: required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ImError('bad_request', `${field}: must be a string`);
  if (v.length === 0 && required) throw new ImError('bad_request', `${field}: required`);
  if (v.length > max) throw new ImError('bad_request', `${field}: longer than ${max} characters`);
  return v;
}

function parseJson(text: string, field: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
  } catch {
    // fall through
  }
  throw new ImError('bad_request', `${field}: not a JSON object`);
}

function pickProfile(data: Record<string, unknown>): { nickname?: string; avatarUrl?: string } {
  const out: { nickname?: string; avatarUrl?: string } = {};
  if (typeof data.nickName === 'string' && data.nickName !== '') out.nickname = data.nickName.slice(0, 64);
  if (typeof data.avatarUrl === 'string' && /^https:\/\//.test(data.avatarUrl)) out.avatarUrl = data.avatarUrl.slice(0, 1024);
  return out;
}
