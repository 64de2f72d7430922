/** Structured logging (pino) with secrets redacted wherever they might appear. */
import pino, { type Logger } from 'pino';

export type { Logger };

const CORE_REDACT_PATHS = [
  'token',
  'req.headers.authorization',
  'headers.authorization',
  '*.token',
  '*.session_key',
  '*.sessionKey',
  '*.access_token',
  '*.accessToken',
  '*.secret',
];

/**
 * A pino logger redacting the core's secret paths plus `featurePaths` (the WeChat
 * feature's session_key, access_token, app secret…, passed in by app.ts).
 */
export function createLogger(level: string, destination?: pino.DestinationStream, featurePaths: readonly string[] = []): Logger {
  const paths = [...new Set([...CORE_REDACT_PATHS, ...featurePaths])];
  return pino({ level, base: { app: 'miniim' }, redact: { paths, censor: '[redacted]' } }, destination);
}
