/** Turns anything thrown into an ImError, the one error type the transports map to answers. */
import { ImError } from '@miniim/protocol';
import type { Logger } from '../logger.js';
import { isStorageUnavailable } from '../storage/storage-errors.js';

/** Storage or bus failures (driver errors, closed connections) are `unavailable`: safe to retry. */
export function isBackendFailure(err: unknown): boolean {
  return isStorageUnavailable(err);
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
