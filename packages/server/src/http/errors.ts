/** Maps every error to the contract's `{"error": {code, message}}` body, once. */

import { ImError } from '@miniim/protocol';
import type { FastifyError, FastifyInstance } from 'fastify';
import { normalizeError } from '../core/errors.js';
import type { Logger } from '../logger.js';

const FASTIFY_CODES: Record<string, ImError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: new ImError('too_large', 'request body is over the limit'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: new ImError('bad_request', 'Content-Type must be application/json'),
  FST_ERR_CTP_EMPTY_JSON_BODY: new ImError('bad_request', 'body must be a JSON object'),
  FST_ERR_CTP_INVALID_JSON_BODY: new ImError('bad_request', 'body is not valid JSON'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: new ImError('bad_request', 'Content-Length does not match the body'),
};

/** Converts anything thrown into an ImError; unexpected errors are logged once and become `internal`. */
export function toImError(err: unknown, logger: Logger): ImError {
  if (err instanceof ImError) return err;
  const fe = err as FastifyError;
  if (fe?.code && FASTIFY_CODES[fe.code]) return FASTIFY_CODES[fe.code]!;
  if (fe?.statusCode === 413) return new ImError('too_large', fe.message);
  if (fe?.statusCode === 400 || (err instanceof SyntaxError && 'body' in (err as object))) {
    return new ImError('bad_request', fe.message || 'bad request');
  }
  if (fe?.statusCode === 415) return new ImError('unsupported_media', fe.message);
  return normalizeError(err, logger);
}

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err, _req, reply) => {
    const e = toImError(err, logger);
    if (e.code === 'rate_limited' && e.retryAfterMs) reply.header('Retry-After', Math.ceil(e.retryAfterMs / 1000));
    reply.status(e.status).send({ error: e.toBody() });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}
