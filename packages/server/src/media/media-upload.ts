import { Readable } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import { ImError } from '@miniim/protocol';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { BlobStore } from './blob-store.js';
import { formatBytes, type MediaConfig, maxMediaLimit } from './media-config.js';
import { newMediaKey } from './media-keys.js';
import { imageDimensions, mp4DurationMs, SNIFF_BYTES, sniffMedia } from './media-sniff.js';
import {
  AUDIO_MIMES,
  IMAGE_MIMES,
  isMediaKind,
  type MediaKind,
  MediaKinds,
  UNKNOWN_MIME,
  type UploadedEvent,
  type UploadedMedia,
  VIDEO_MIMES,
} from './media-types.js';
import type { MediaUrlPolicy } from './media-url-policy.js';
import type { UploadLimiter } from './upload-limiter.js';

/**
 * Room for the multipart framing around the file (boundaries, part headers, small
 * fields) when a Content-Length is compared with a file-size limit.
 */
export const MULTIPART_OVERHEAD = 64 * 1024;

/** Bytes kept from the start of an image or video to read its dimensions or duration. */
const PREFIX_BYTES = 512 * 1024;

/** What the upload path needs; built once by registerMediaRoutes. */
export interface UploadContext {
  config: MediaConfig;
  store: BlobStore;
  policy: MediaUrlPolicy;
  limiter: UploadLimiter;
  logger: FastifyBaseLogger;
  onUploaded?: (event: UploadedEvent) => Promise<void> | void;
}

/** Whether `kind` accepts the sniffed `mime`. */
export function kindAccepts(kind: MediaKind, mime: string, config: Pick<MediaConfig, 'allowedFileMimes'>): boolean {
  switch (kind) {
    case 'image':
      return IMAGE_MIMES.includes(mime);
    case 'video':
      return VIDEO_MIMES.includes(mime);
    case 'audio':
      return AUDIO_MIMES.includes(mime);
    case 'file':
      return config.allowedFileMimes.includes('*') || config.allowedFileMimes.includes(mime);
  }
}

/** The kind of an upload: the client's if it accepts the sniffed type, else inferred; 415 when none fits. */
export function resolveKind(mime: string, requested: MediaKind | undefined, config: Pick<MediaConfig, 'allowedFileMimes'>): MediaKind {
  const shown = mime === UNKNOWN_MIME ? 'unrecognised content' : mime;
  if (requested) {
    if (kindAccepts(requested, mime, config)) return requested;
    throw new ImError('unsupported_media', `${shown} is not allowed for kind ${requested}`);
  }
  const kind = MediaKinds.find((k) => kindAccepts(k, mime, config));
  if (!kind) throw new ImError('unsupported_media', `${shown} is not an allowed upload type`);
  return kind;
}

/** Parses the optional `kind` (query or form field); throws bad_request for other values. */
export function parseKind(value: unknown, field: string): MediaKind | undefined {
  if (value === undefined || value === '') return undefined;
  if (isMediaKind(value)) return value;
  throw new ImError('bad_request', `${field} must be one of ${MediaKinds.join(', ')}`);
}

/** The 413 for an upload over the limit of `kind`. */
export function tooLarge(kind: MediaKind | undefined, limit: number): ImError {
  return new ImError('too_large', `${kind ? `${kind} uploads are` : 'an upload is'} limited to ${formatBytes(limit)}`);
}

/** Declared Content-Length of the request, or undefined when chunked or absent. */
export function declaredLength(req: FastifyRequest): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Checks a request before any of its body is read: Content-Length against the limit of the
 * kind asked for in `?kind=` (or the largest limit) and against the user's remaining quota.
 */
export function precheckUpload(req: FastifyRequest, ctx: UploadContext, userId: string): void {
  const length = declaredLength(req);
  if (length === undefined) return;
  const kind = parseKind((req.query as Record<string, unknown> | undefined)?.kind, 'kind');
  const limit = kind ? ctx.config.limits[kind] : maxMediaLimit(ctx.config.limits);
  if (length > limit + MULTIPART_OVERHEAD) throw tooLarge(kind, limit);
  if (length > ctx.limiter.remainingBytes(userId) + MULTIPART_OVERHEAD) throw ctx.limiter.quotaError();
}

/** What was stored: the upload answer before its URL is issued. */
type StoredFile = Omit<UploadedMedia, 'url'> & { key: string };

/**
 * Streams the `file` part into the store: reads the first bytes, sniffs the type, picks the
 * kind, then passes the rest through while counting against the kind's limit and the quota.
 * At most the sniffing head and (for images and video) a 512 KiB prefix are held in memory.
 */
async function storeFilePart(
  part: MultipartFile,
  requested: MediaKind | undefined,
  contentLength: number | undefined,
  userId: string,
  ctx: UploadContext,
): Promise<StoredFile> {
  const it = part.file[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let finished = false;
  try {
    const headChunks: Buffer[] = [];
    let headLen = 0;
    while (headLen < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) {
        finished = true;
        break;
      }
      headChunks.push(r.value);
      headLen += r.value.length;
    }
    const head = Buffer.concat(headChunks, headLen);
    if (head.length === 0) throw new ImError('bad_request', 'body.file is empty');
    const sniffed = await sniffMedia(head);
    const mime = sniffed?.mime ?? UNKNOWN_MIME;
    const kind = resolveKind(mime, requested, ctx.config);
    const limit = ctx.config.limits[kind];
    if (contentLength !== undefined && contentLength > limit + MULTIPART_OVERHEAD) throw tooLarge(kind, limit);
    const remaining = ctx.limiter.remainingBytes(userId);

    const keepPrefix = kind === 'image' || kind === 'video';
    const prefixChunks: Buffer[] = [];
    let prefixLen = 0;
    let size = 0;
    const take = (chunk: Buffer): Buffer => {
      size += chunk.length;
      if (size > limit) throw tooLarge(kind, limit);
      if (size > remaining) throw ctx.limiter.quotaError();
      if (keepPrefix && prefixLen < PREFIX_BYTES) {
        const slice = chunk.subarray(0, PREFIX_BYTES - prefixLen);
        prefixChunks.push(Buffer.from(slice));
        prefixLen += slice.length;
      }
      return chunk;
    };
    const body = Readable.from(
      (async function* () {
        try {
          yield take(head);
          while (!finished) {
            const r = await it.next();
            if (r.done) {
              finished = true;
              break;
            }
            yield take(r.value);
          }
        } finally {
          if (!finished) {
            finished = true;
            await it.return?.();
          }
        }
      })(),
      { objectMode: false },
    );

    const key = newMediaKey(sniffed?.ext ?? 'bin');
    const stored = await ctx.store.put(key, body, { contentType: mime });
    const out: StoredFile = { key, kind, mime, size: stored.size };
    const prefix = Buffer.concat(prefixChunks, prefixLen);
    if (kind === 'image') Object.assign(out, await imageDimensions(prefix));
    if (kind === 'video') {
      const duration = mp4DurationMs(prefix);
      if (duration !== undefined) out.duration = duration;
    }
    return out;
  } finally {
    if (!finished) await it.return?.();
  }
}

function mapMultipartError(err: unknown, ctx: UploadContext): unknown {
  if (err instanceof ImError) return err;
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(undefined, maxMediaLimit(ctx.config.limits));
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new ImError('bad_request', 'body must hold one field "file" and at most a few small fields');
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new ImError('bad_request', 'body is not a valid multipart/form-data upload');
    case 'FST_REQ_PREMATURE_CLOSE':
      return new ImError('bad_request', 'upload was interrupted');
  }
  const message = (err as Error)?.message ?? '';
  if (/multipart|Unexpected end|terminated early|boundary/i.test(message)) {
    return new ImError('bad_request', 'body is not a valid multipart/form-data upload');
  }
  return err;
}

/**
 * Handles one `POST /api/media` whose caller is already authenticated and pre-checked:
 * stores the file, runs the onUploaded hook, counts the quota and returns the answer.
 */
export async function handleUpload(req: FastifyRequest, userId: string, requestOrigin: string, ctx: UploadContext): Promise<UploadedMedia> {
  let requested = parseKind((req.query as Record<string, unknown> | undefined)?.kind, 'kind');
  let stored: StoredFile | undefined;
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (part.fieldname !== 'kind') continue; // wx.uploadFile formData may carry other fields
        const kind = parseKind(part.value, 'body.kind');
        if (stored && kind && kind !== stored.kind) {
          // `kind` sent after the file: check what was stored against it now.
          if (!kindAccepts(kind, stored.mime, ctx.config)) {
            throw new ImError('unsupported_media', `${stored.mime} is not allowed for kind ${kind}`);
          }
          if (stored.size > ctx.config.limits[kind]) throw tooLarge(kind, ctx.config.limits[kind]);
          stored.kind = kind;
        }
        requested = requested ?? kind;
        continue;
      }
      if (part.fieldname !== 'file' || stored) {
        part.file.resume();
        throw new ImError('bad_request', 'body must hold exactly one file, in field "file"');
      }
      stored = await storeFilePart(part, requested, declaredLength(req), userId, ctx);
    }
    if (!stored) throw new ImError('bad_request', 'body.file is required');
    const url = ctx.policy.issueUrl(stored.key, requestOrigin);
    if (ctx.onUploaded) {
      await ctx.onUploaded({
        userId,
        url,
        key: stored.key,
        kind: stored.kind,
        mime: stored.mime,
        size: stored.size,
      });
    }
    ctx.limiter.addBytes(userId, stored.size);
    const answer: UploadedMedia = { url, kind: stored.kind, mime: stored.mime, size: stored.size };
    if (stored.width !== undefined && stored.height !== undefined) {
      answer.width = stored.width;
      answer.height = stored.height;
    }
    if (stored.duration !== undefined) answer.duration = stored.duration;
    ctx.logger.info({ userId, key: stored.key, kind: stored.kind, mime: stored.mime, size: stored.size }, 'media uploaded');
    return answer;
  } catch (err) {
    if (stored) {
      const key = stored.key;
      await ctx.store.delete(key).catch((e: unknown) => ctx.logger.warn({ err: e, key }, 'media cleanup failed'));
    }
    throw mapMultipartError(err, ctx);
  }
}
