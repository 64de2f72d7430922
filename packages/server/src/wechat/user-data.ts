import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { ImError } from '@miniim/protocol';

/**
 * Checks `signature == sha1(rawData + session_key)` (hex), as described in
 * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html
 */
export function verifyRawDataSignature(rawData: string, signature: string, sessionKey: string): boolean {
  const expected = createHash('sha1')
    .update(rawData + sessionKey, 'utf8')
    .digest();
  if (!/^[0-9a-fA-F]{40}$/.test(signature)) return false;
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

/** Data decrypted from `encryptedData`; always carries a watermark. */
export interface DecryptedUserData {
  watermark: { appid: string; timestamp: number };
  openId?: string;
  unionId?: string;
  nickName?: string;
  avatarUrl?: string;
  [key: string]: unknown;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decrypts `encryptedData` with AES-128-CBC / PKCS#7 (key = base64 session_key,
 * iv = base64) and checks `watermark.appid`. Malformed input → `bad_request`;
 * data that does not decrypt or belongs to another app → `unauthorized`.
 */
export function decryptUserData(encryptedData: string, iv: string, sessionKey: string, expectedAppId: string): DecryptedUserData {
  if (!BASE64.test(encryptedData) || encryptedData.length % 4 !== 0) {
    throw new ImError('bad_request', 'encryptedData: not base64');
  }
  if (!BASE64.test(iv) || Buffer.from(iv, 'base64').length !== 16) {
    throw new ImError('bad_request', 'iv: must be 16 bytes in base64');
  }
  const key = Buffer.from(sessionKey, 'base64');
  if (key.length !== 16) throw new ImError('unauthorized', 'session key is unusable; log in again');
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, Buffer.from(iv, 'base64'));
    decipher.setAutoPadding(true);
    plain = Buffer.concat([decipher.update(Buffer.from(encryptedData, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new ImError('unauthorized', 'encryptedData: could not be decrypted with this session');
  }
  let data: unknown;
  try {
    data = JSON.parse(plain);
  } catch {
    throw new ImError('unauthorized', 'encryptedData: could not be decrypted with this session');
  }
  const wm = (data as { watermark?: { appid?: unknown } } | null)?.watermark;
  if (typeof data !== 'object' || data === null || !wm || typeof wm.appid !== 'string') {
    throw new ImError('unauthorized', 'encryptedData: no watermark');
  }
  if (wm.appid !== expectedAppId) throw new ImError('unauthorized', 'encryptedData: watermark appid mismatch');
  return data as DecryptedUserData;
}
