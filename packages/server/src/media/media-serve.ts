import { ImError } from '@miniim/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BlobStore } from './blob-store.js';
import { isMediaKey } from './media-keys.js';
import { parseRange } from './media-range.js';
import { isInlineMime } from './media-types.js';
import type { MediaUrlPolicy } from './media-url-policy.js';

const YEAR_SEC = 365 * 24 * 3600;

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/**
 * `GET /media/:key`: streams a blob from the store (local disk or S3, proxied) with
 * Content-Type, ETag, Last-Modified, long cache headers, conditional 304 and single-range
 * 206 answers (416 when the range lies outside the blob). With signed URLs on, the
 * `exp`/`sig` query is checked first (403 when missing, wrong or expired).
 */
export async function serveMedia(
  req: FastifyRequest<{ Params: { key: string }; Querystring: Record<string, string | undefined> }>,
  reply: FastifyReply,
  store: BlobStore,
  policy: MediaUrlPolicy,
): Promise<FastifyReply> {
  const { key } = req.params;
  if (!isMediaKey(key)) throw new ImError('not_found', 'no such media');
  policy.verifyRead(key, req.query ?? {});
  const info = await store.stat(key);
  if (!info) throw new ImError('not_found', 'no such media');

  const left = policy.secondsLeft(req.query ?? {});
  reply.header('cache-control', left === undefined ? `public, max-age=${YEAR_SEC}, immutable` : `private, max-age=${Math.min(left, YEAR_SEC)}`);
  reply.header('etag', info.etag);
  reply.header('last-modified', info.lastModified.toUTCString());
  reply.header('accept-ranges', 'bytes');
  reply.header('x-content-type-options', 'nosniff');
  if (etagMatches(req.headers['if-none-match'], info.etag)) return reply.code(304).send();

  reply.header('content-type', info.contentType);
  if (!isInlineMime(info.contentType)) reply.header('content-disposition', 'attachment');

  const ifRange = req.headers['if-range'];
  const rangeAllowed = ifRange === undefined || ifRange === info.etag;
  const range = rangeAllowed ? parseRange(req.headers.range, info.size) : undefined;
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${info.size}`);
    reply.removeHeader('content-disposition');
    reply.header('content-type', 'application/json; charset=utf-8');
    return reply.code(416).send({ error: { code: 'bad_request', message: 'requested range is not satisfiable' } });
  }
  if (req.method === 'HEAD') {
    if (range) {
      reply.header('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
      reply.header('content-length', range.end - range.start + 1);
      return reply.code(206).send();
    }
    reply.header('content-length', info.size);
    return reply.code(200).send();
  }
  if (range) {
    reply.header('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
    reply.header('content-length', range.end - range.start + 1);
    return reply.code(206).send(await store.read(key, range));
  }
  reply.header('content-length', info.size);
  return reply.code(200).send(await store.read(key));
}
