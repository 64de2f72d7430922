/**
 * Development secrets kept in the data dir: when a secret is not configured (not
 * allowed in production, see the config checks), a random one is generated once
 * into `<dataDir>/<file>` (mode 0600) so it survives restarts. The one place
 * that does this (token secret, at-rest key).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface DevSecretOptions {
  dataDir: string;
  /** File name inside the data dir, e.g. `.token-secret`. */
  file: string;
  /** The env variable that would configure it (named in the warning). */
  envName: string;
  /** A new random secret, as written to the file (default: 32 random bytes, base64url). */
  generate?: () => string;
  /** Told once when a secret is generated. */
  logger: { warn(obj: object, msg: string): void };
}

/** The configured secret, else the one stored in the data dir, else a newly generated (and stored) one. */
export function devSecret(configured: string | undefined, o: DevSecretOptions): string {
  if (configured) return configured;
  const file = path.join(o.dataDir, o.file);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(o.dataDir, { recursive: true });
  const secret = o.generate?.() ?? randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  o.logger.warn({ file }, `${o.envName} is not set; generated a development secret`);
  return secret;
}
