import { createHash, timingSafeEqual } from 'node:crypto';

/** Query parameters WeChat adds to every message-push request. */
export interface PushQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
  /** `aes` for encrypted pushes (safe and compatible mode). */
  encrypt_type?: string;
  /** sha1 over token, timestamp, nonce and the Encrypt value (encrypted pushes). */
  msg_signature?: string;
}

/** `sha1(sort([token, timestamp, nonce]).join(''))`, hex. */
export function pushSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join(''), 'utf8').digest('hex');
}

/**
 * Verifies a message-push signature (plaintext mode) with the push token
 * configured in the mini-program admin. See
 * https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html
 */
export function verifyPushSignature(token: string, query: PushQuery): boolean {
  const { signature, timestamp, nonce } = query;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') return false;
  if (!/^[0-9a-fA-F]{40}$/.test(signature) || timestamp.length > 32 || nonce.length > 64) return false;
  const expected = Buffer.from(pushSignature(token, timestamp, nonce), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
