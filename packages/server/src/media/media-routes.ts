import type { IncomingMessage } from 'node:http';
import multipart from '@fastify/multipart';
import { ImError } from '@miniim/protocol';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { BlobStore } from './blob-store.js';
import { type MediaConfig, maxMediaLimit } from './media-config.js';
import { serveMedia } from './media-serve.js';
import type { UploadedEvent } from './media-types.js';
import { handleUpload, precheckUpload, type UploadContext } from './media-upload.js';
import { MediaUrlPolicy } from './media-url-policy.js';
import { UploadLimiter } from './upload-limiter.js';

/** What registerMediaRoutes needs from the rest of the server. */
export interface MediaRouteDeps {
  config: MediaConfig;
  /** Resolves the caller of a request; throws ImError('unauthorized') without a good token. */
  authenticate: (req: FastifyRequest) => Promise<{ userId: string }>;
  store: BlobStore;
  logger: FastifyBaseLogger;
  /**
   * Content-safety seam, awaited after the blob is stored and before the answer. Throwing
   * (e.g. ImError('content_rejected')) deletes the blob and fails the upload with that error.
   */
  onUploaded?: (event: UploadedEvent) => Promise<void> | void;
  /** The URL policy to use; pass the one the message path uses (default: a new one from config). */
  policy?: MediaUrlPolicy;
  /** Upload rate/quota counters (default: a new in-memory one from config.quota). */
  limiter?: UploadLimiter;
  /** Clock for signed-URL expiry and limits (tests). */
  now?: () => number;
}

/** Handles returned by registerMediaRoutes for wiring into the message path. */
export interface MediaModule {
  policy: MediaUrlPolicy;
  limiter: UploadLimiter;
}

const users = new WeakMap<FastifyRequest, string>();

/** Reads and discards what is left of a request body; over `limit` bytes or 30 s idle, the connection is cut. */
function drainRequest(raw: IncomingMessage, limit: number): void {
  let read = 0;
  raw.setTimeout?.(30_000, () => raw.socket.destroy());
  raw.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read > limit) raw.socket.destroy();
  });
  raw.resume();
}

/**
 * Registers `POST /api/media` (authenticated multipart upload) and `GET /media/:key`
 * (streamed serving with Range and cache headers) in an encapsulated scope that also
 * registers @fastify/multipart, so the rest of the app is unaffected. Do not register
 * @fastify/multipart at the app level as well (if a parser is already present it is reused,
 * with its own limits). Errors are thrown as ImError for the app's error handler.
 */
export function registerMediaRoutes(app: FastifyInstance, deps: MediaRouteDeps): MediaModule {
  const { config, store, logger } = deps;
  const policy = deps.policy ?? new MediaUrlPolicy(config, { now: deps.now });
  const limiter = deps.limiter ?? new UploadLimiter(config.quota, deps.now);
  const ctx: UploadContext = { config, store, policy, limiter, logger, onUploaded: deps.onUploaded };

  app.register(async (scope) => {
    if (!scope.hasContentTypeParser('multipart/form-data')) {
      await scope.register(multipart, {
        limits: {
          fileSize: maxMediaLimit(config.limits) + 1,
          files: 1,
          fields: 8,
          fieldSize: 1024,
          parts: 10,
          headerPairs: 50,
        },
      });
    }

    // An answer sent before the body was read to its end (early 401/413/415/429) must still
    // reach the client: closing at once would reset a connection the client is still writing
    // to (Node's fetch reports EPIPE instead of the answer). The rest of the body is read and
    // discarded, up to a bound; a bigger body or a stalled one gets the connection closed.
    const drainLimit = 2 * maxMediaLimit(config.limits) + 1024 * 1024;
    scope.addHook('onSend', async (req, reply, payload) => {
      if (req.method === 'POST' && !req.raw.complete) {
        const declared = Number(req.headers['content-length'] ?? Number.NaN);
        if (declared > drainLimit) reply.header('connection', 'close');
        else drainRequest(req.raw, drainLimit);
      }
      return payload;
    });

    scope.post('/api/media', {
      onRequest: async (req) => {
        const { userId } = await deps.authenticate(req);
        const type = req.headers['content-type'] ?? '';
        if (!/^multipart\/form-data\s*;/i.test(type)) {
          throw new ImError('bad_request', 'body must be multipart/form-data with a field "file"');
        }
        precheckUpload(req, ctx, userId);
        limiter.beginUpload(userId);
        users.set(req, userId);
      },
      handler: async (req) => {
        const userId = users.get(req);
        if (userId === undefined) throw new ImError('unauthorized', 'not authenticated');
        return handleUpload(req, userId, `${req.protocol}://${req.host}`, ctx);
      },
    });

    const serve = (
      req: FastifyRequest<{ Params: { key: string }; Querystring: Record<string, string | undefined> }>,
      reply: Parameters<typeof serveMedia>[1],
    ) => serveMedia(req, reply, store, policy);
    scope.get('/media/:key', { exposeHeadRoute: false }, serve);
    scope.head('/media/:key', serve);
  });

  return { policy, limiter };
}
