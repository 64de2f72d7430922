import { randomBytes } from 'node:crypto';

/**
 * Blob keys: 144 random bits in base64url (24 characters) plus a short extension,
 * e.g. `Zb3k...Q9.jpg`. Flat (no slashes) so a key is one URL path segment.
 */
const KEY_RE = /^[A-Za-z0-9_-]{24}\.[a-z0-9]{1,8}$/;

/** A new unguessable key for a blob with the given extension (letters/digits only). */
export function newMediaKey(ext: string): string {
  const safeExt = /^[a-z0-9]{1,8}$/.test(ext) ? ext : 'bin';
  return `${randomBytes(18).toString('base64url')}.${safeExt}`;
}

/** Whether `key` has the shape newMediaKey produces (guards paths and object keys). */
export function isMediaKey(key: string): boolean {
  return KEY_RE.test(key);
}
