/** The data directory holds messages, secrets and media: only the server's user may read it. */
import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * Creates `dir` with mode 0700, or narrows an existing one this process owns to 0700.
 * Returns true when an existing directory was narrowed (the caller logs it once).
 */
export function preparePrivateDir(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o077) === 0 || typeof process.getuid !== 'function' || st.uid !== process.getuid()) return false;
  chmodSync(dir, 0o700);
  return true;
}
