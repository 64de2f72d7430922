/**
 * Message-push safe mode (安全模式) and compatible mode: the body carries the
 * event AES-encrypted with the EncodingAESKey of the mini-program admin, and
 * the query adds `encrypt_type=aes` and `msg_signature`. Layout, from
 * https://developers.weixin.qq.com/doc/oplatform/developers/dev/push/encryption.md and
 * https://developers.weixin.qq.com/doc/oplatform/en/Third-party_Platforms/Message_Encryption/Technical_Plan.html :
 * AESKey = base64-decode(EncodingAESKey + "="), 32 bytes; IV = its first 16
 * bytes; AES-256-CBC; PKCS#7 padding to a multiple of 32 bytes; the plaintext
 * is random(16) + msg_len (4 bytes, network order) + msg + appid.
 */
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { xmlTag } from './push-event.js';

/** EncodingAESKey as the admin page generates it: 43 letters and digits. */
export const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;

/** The 32-byte AES key of an EncodingAESKey; throws on a malformed key. */
export function decodeEncodingAesKey(encodingAESKey: string): Buffer {
  if (!ENCODING_AES_KEY.test(encodingAESKey)) throw new Error('EncodingAESKey must be 43 letters or digits');
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  if (key.length !== 32) throw new Error('EncodingAESKey does not decode to 32 bytes');
  return key;
}

/** `sha1(sort([token, timestamp, nonce, encrypt]).join(''))`, hex. */
export function msgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join(''), 'utf8').digest('hex');
}

/** True when `signature` (the `msg_signature` query value) matches. */
export function verifyMsgSignature(token: string, q: { timestamp?: string; nonce?: string; msg_signature?: string }, encrypt: string): boolean {
  const { timestamp, nonce, msg_signature: sig } = q;
  if (typeof timestamp !== 'string' || typeof nonce !== 'string' || typeof sig !== 'string' || !/^[0-9a-fA-F]{40}$/.test(sig)) return false;
  return timingSafeEqual(Buffer.from(msgSignature(token, timestamp, nonce, encrypt), 'hex'), Buffer.from(sig, 'hex'));
}

/** The `Encrypt` field of a JSON or XML push body, or undefined for a plaintext body. */
export function encryptedPart(rawBody: string): string | undefined {
  const text = rawBody.trim();
  if (text.startsWith('{')) {
    try {
      const v = (JSON.parse(text) as { Encrypt?: unknown }).Encrypt;
      return typeof v === 'string' && v !== '' ? v : undefined;
    } catch {
      return undefined;
    }
  }
  if (text.startsWith('<')) return xmlTag(text, 'Encrypt') || undefined;
  return undefined;
}

/** Decrypts an `Encrypt` value; returns the message and the appid it names. Throws on anything malformed. */
export function decryptPushMessage(encrypt: string, key: Buffer): { message: string; appid: string } {
  const data = Buffer.from(encrypt, 'base64');
  if (data.length === 0 || data.length % 32 !== 0) throw new Error('encrypted push is not a whole number of 32-byte blocks');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  // The padding is PKCS#7 to 32 bytes (up to 32), which OpenSSL's 16-byte unpadding refuses.
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);
  const pad = plain[plain.length - 1];
  if (pad < 1 || pad > 32 || plain.subarray(plain.length - pad).some((b) => b !== pad)) throw new Error('bad padding (wrong EncodingAESKey?)');
  const body = plain.subarray(0, plain.length - pad);
  if (body.length < 20) throw new Error('encrypted push too short');
  const len = body.readUInt32BE(16);
  if (20 + len > body.length) throw new Error('message length beyond the decrypted data (wrong EncodingAESKey?)');
  return {
    message: body.subarray(20, 20 + len).toString('utf8'),
    appid: body.subarray(20 + len).toString('utf8'),
  };
}
