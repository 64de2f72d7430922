import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'v1';

/**
 * Parses the at-rest encryption key from config: 32 bytes given as base64
 * (44 chars) or hex (64 chars). Throws with a clear message otherwise.
 */
export function parseSecretKey(value: string | Buffer): Buffer {
  if (Buffer.isBuffer(value)) {
    if (value.length !== 32) throw new Error('secret key must be 32 bytes');
    return value;
  }
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) {
    const buf = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (buf.length === 32) return buf;
  }
  throw new Error('secret key must be 32 bytes, written as base64 (44 chars) or hex (64 chars)');
}

/**
 * Encrypts a secret (e.g. a WeChat session_key) for storage with AES-256-GCM.
 * Output: `v1.<iv>.<tag>.<ciphertext>` (base64url parts).
 */
export function encryptSecret(plain: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [PREFIX, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
}

/** Reverses encryptSecret; throws if the blob was altered or the key is wrong. */
export function decryptSecret(blob: string, key: Buffer): string {
  const parts = blob.split('.');
  if (parts.length !== 4 || parts[0] !== PREFIX) throw new Error('not an encrypted secret');
  const [, ivB64, tagB64, ctB64] = parts;
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivB64, 'base64url'));
  decipher.setAuthTag(Buffer.from(tagB64, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ctB64, 'base64url')), decipher.final()]).toString('utf8');
}
