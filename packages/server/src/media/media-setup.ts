/** The media feature's wiring: MediaConfig from the server config, the blob store, the URL policy and the routes. */

import type { MessageBody, Msg } from '@miniim/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { devSecret } from '../config/dev-secret.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from './blob-store.js';
import { createBlobStore } from './blob-store-factory.js';
import { type MediaConfig, mediaConfigWithDefaults } from './media-config.js';
import { registerMediaRoutes } from './media-routes.js';
import { isMediaKind, type UploadedEvent } from './media-types.js';
import { MediaUrlPolicy } from './media-url-policy.js';

export interface MediaSetup {
  config: MediaConfig;
  store: BlobStore;
  policy: MediaUrlPolicy;
  /** Validates a media message body (issued or allow-listed URLs) and returns it with canonical URLs. */
  checkBody(kind: string, body: MessageBody): MessageBody;
  /** Re-signs media URLs of a message on read when signed URLs are on; identity otherwise. */
  signMessage(msg: Msg): Msg;
  /** Keys of this server's blobs a checked media body references (its url, a video's cover). */
  mediaKeysOf(kind: string, body: MessageBody): string[];
  /** An avatar URL as stored: one of this server's media links signed so that it does not expire. */
  avatarLink(url: string): string;
  /** Deletes blobs no message references any more; a failure is logged, never thrown. */
  deleteBlobs(keys: readonly string[]): Promise<void>;
}

/**
 * The media settings of the server config. `signingSecret` signs read links: the configured
 * MINIIM_MEDIA_SIGNED_URL_SECRET, else (development) the one createMedia keeps in the data dir.
 */
export function mediaConfigFrom(c: Config, signingSecret = c.mediaSignedUrlSecret): MediaConfig {
  const store: MediaConfig['store'] =
    c.mediaStore === 's3'
      ? {
          type: 's3',
          bucket: c.s3Bucket!,
          region: c.s3Region,
          accessKeyId: c.s3AccessKeyId!,
          secretAccessKey: c.s3SecretAccessKey!,
          forcePathStyle: c.s3ForcePathStyle,
          ...(c.s3Endpoint ? { endpoint: c.s3Endpoint } : {}),
          ...(c.s3PublicUrl ? { publicBaseUrl: c.s3PublicUrl } : {}),
        }
      : { type: 'local' };
  return mediaConfigWithDefaults({
    dataDir: c.dataDir,
    store,
    allowHosts: c.mediaAllowHosts,
    limits: { image: c.mediaMaxImageBytes, video: c.mediaMaxVideoBytes, audio: c.mediaMaxAudioBytes, file: c.mediaMaxFileBytes },
    quota: { bytesPerDay: c.mediaQuotaBytesPerDay, uploadsPerMinute: c.mediaUploadsPerMinute },
    ...(c.publicBaseUrl ? { publicBaseUrl: c.publicBaseUrl } : {}),
    ...(c.mediaFileMimes.length ? { allowedFileMimes: c.mediaFileMimes } : {}),
    ...(signingSecret ? { signedUrls: { secret: signingSecret, ttlSec: c.mediaSignedUrlTtlSec } } : {}),
  });
}

/**
 * Media read links are signed by default: without MINIIM_MEDIA_SIGNED_URL_SECRET (required in
 * production) a secret is generated into `<dataDir>/.media-url-secret` (0600) once.
 */
export async function createMedia(c: Config, logger: Logger): Promise<MediaSetup> {
  const secret = devSecret(c.mediaSignedUrlSecret, {
    dataDir: c.dataDir,
    file: '.media-url-secret',
    envName: 'MINIIM_MEDIA_SIGNED_URL_SECRET',
    logger,
  });
  const config = mediaConfigFrom(c, secret);
  if (!config.publicBaseUrl) {
    logger.warn('MINIIM_PUBLIC_URL is not set: media URLs are built from each request’s host (fine for development)');
  }
  const store = await createBlobStore(config);
  const policy = new MediaUrlPolicy(config);
  const signing = config.signedUrls !== undefined;
  return {
    config,
    store,
    policy,
    checkBody(kind, body) {
      if (!isMediaKind(kind)) return body;
      return policy.checkMediaBody(kind, body) as MessageBody;
    },
    signMessage(msg) {
      if (!signing || !isMediaKind(msg.kind) || msg.recalled) return msg;
      return { ...msg, body: policy.signMediaBody(msg.body as Record<string, unknown>) };
    },
    mediaKeysOf(kind, body) {
      if (!isMediaKind(kind)) return [];
      const { url, cover } = body as { url?: unknown; cover?: unknown };
      const keys = [url, cover].map((u) => (typeof u === 'string' ? policy.keyFromUrl(u) : undefined));
      return [...new Set(keys.filter((k): k is string => k !== undefined))];
    },
    avatarLink: (url) => policy.permanentLink(url),
    async deleteBlobs(keys) {
      for (const key of keys) {
        try {
          await store.delete(key);
          logger.info({ key }, 'deleted media no message references any more');
        } catch (err) {
          logger.warn({ err, key }, 'deleting unreferenced media failed; the blob stays');
        }
      }
    },
  };
}

export function registerMedia(
  app: FastifyInstance,
  media: MediaSetup,
  deps: {
    authenticate: (req: FastifyRequest) => Promise<string>;
    logger: Logger;
    onUploaded?: (e: UploadedEvent) => Promise<void> | void;
  },
): void {
  registerMediaRoutes(app, {
    config: media.config,
    store: media.store,
    policy: media.policy,
    logger: deps.logger,
    authenticate: async (req) => ({ userId: await deps.authenticate(req) }),
    ...(deps.onUploaded ? { onUploaded: deps.onUploaded } : {}),
  });
}
