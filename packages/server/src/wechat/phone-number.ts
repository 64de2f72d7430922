/**
 * The user's phone number through the code-based getPhoneNumber: the
 * mini-program's `<button open-type="getPhoneNumber">` hands out a code
 * (usable once, for 5 minutes), the server exchanges it at
 * POST /wxa/business/getuserphonenumber. Pages:
 * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/getPhoneNumber.html
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html
 */
import { ImError } from '@miniim/protocol';
import type { Logger } from 'pino';
import type { UserPhoneRow } from '../storage/storage.js';
import type { AccessTokenProvider } from './access-token-provider.js';
import type { WechatApi } from './wechat-api.js';
import { WechatApiError, WechatErrcode, WechatUnreachableError } from './wechat-errors.js';

export interface PhoneNumberDeps {
  api: WechatApi;
  tokens: AccessTokenProvider;
  logger?: Logger;
}

/** The phone number as clients see it (their own only). */
export type PublicPhone = Pick<UserPhoneRow, 'phoneNumber' | 'purePhoneNumber' | 'countryCode'>;

export function publicPhone(row: UserPhoneRow): PublicPhone {
  return { phoneNumber: row.phoneNumber, purePhoneNumber: row.purePhoneNumber, countryCode: row.countryCode };
}

/**
 * Exchanges a getPhoneNumber `code` of `appId`'s mini-program for the user's
 * verified number. Retries once on -1 (system busy); throws ImError: 400 for a
 * bad or used code, 429 for 45011, 503 when WeChat is busy or unreachable,
 * 500 for a misconfiguration (logged).
 */
export async function fetchPhoneNumber(deps: PhoneNumberDeps, userId: string, appId: string, code: unknown, now = Date.now()): Promise<UserPhoneRow> {
  if (typeof code !== 'string' || code === '') throw new ImError('bad_request', 'code: required (the code of the getPhoneNumber button)');
  if (code.length > 256) throw new ImError('bad_request', 'code: longer than 256 characters');
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await deps.tokens.call(appId, (token) => deps.api.getUserPhoneNumber(token, code));
      if (info.watermark.appid !== appId) {
        deps.logger?.error({ appId, watermarkAppId: info.watermark.appid }, 'getPhoneNumber answer names another appid; number not stored');
        throw new ImError('unavailable', 'WeChat answered for another mini-program');
      }
      return { userId, appId, phoneNumber: info.phoneNumber, purePhoneNumber: info.purePhoneNumber, countryCode: info.countryCode, verifiedAt: now };
    } catch (err) {
      if (err instanceof WechatApiError && err.errcode === WechatErrcode.systemBusy && attempt === 0) continue;
      throw mapPhoneError(err, deps.logger, appId);
    }
  }
}

function mapPhoneError(err: unknown, logger: Logger | undefined, appId: string): ImError {
  if (err instanceof ImError) return err;
  if (err instanceof WechatApiError) {
    switch (err.errcode) {
      case WechatErrcode.invalidCode:
        return new ImError('bad_request', 'code: invalid, expired or already used; ask the user again');
      case WechatErrcode.freqLimit:
        return new ImError('rate_limited', 'too many phone-number requests; try again later', 60_000);
      case WechatErrcode.systemBusy:
        return new ImError('unavailable', 'WeChat is busy; try again');
      default:
        logger?.error({ appId, errcode: err.errcode, errmsg: err.errmsg }, 'getPhoneNumber failed; is the mini-program verified and allowed to use it?');
        return new ImError('internal', 'phone numbers are not available for this mini-program');
    }
  }
  if (err instanceof WechatUnreachableError) return new ImError('unavailable', 'WeChat is unreachable; try again');
  return new ImError('internal', 'phone number lookup failed');
}
