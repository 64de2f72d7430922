/** Structured logging (pino) with secrets redacted wherever they might appear. */
import pino, { type Logger } from 'pino';
import { WECHAT_REDACT_PATHS } from './wechat/log-redaction.js';

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

/** pino redact paths: the core's plus the WeChat module's (session_key, access_token, app secret). */
export const REDACT_PATHS = [...new Set([...CORE_REDACT_PATHS, ...WECHAT_REDACT_PATHS])];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { app: 'miniim' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
