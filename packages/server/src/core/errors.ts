/** Turns anything thrown into an ImError, the one error type the transports map to answers. */
import { ImError } from '@miniim/protocol';
import type { Logger } from '../logger.js';

/** Storage or bus failures (driver errors, closed connections) are `unavailable`: safe to retry. */
export function isBackendFailure(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; message?: string } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'SqliteError' || (typeof e.code === 'string' && e.code.startsWith('SQLITE_'))) return true;
  if (typeof e.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '08006'].includes(e.code)) return true;
  return /database connection is not open|Connection is closed|Connection terminated/i.test(e.message ?? '');
}

export function normalizeError(err: unknown, logger: Logger, context: Record<string, unknown> = {}): ImError {
  if (err instanceof ImError) return err;
  if (isBackendFailure(err)) {
    logger.error({ err, ...context }, 'storage or bus failure; answered unavailable');
    return new ImError('unavailable', 'storage or bus unavailable; nothing was changed, safe to retry');
  }
  logger.error({ err, ...context }, 'request failed with an unexpected error');
  return new ImError('internal', 'internal error');
}
