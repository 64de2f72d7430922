/** Media module: uploads, blob stores, serving and the URL policy for media messages. */
export type { BlobInfo, BlobStore, ByteRange } from './blob-store.js';
export { createBlobStore } from './blob-store-factory.js';
export { LocalBlobStore } from './local-blob-store.js';
export {
  DEFAULT_MEDIA_LIMITS,
  DEFAULT_MEDIA_QUOTA,
  type MediaConfig,
  type MediaLimits,
  type MediaQuotaConfig,
  type MediaStoreConfig,
  mediaConfigWithDefaults,
  type S3StoreConfig,
  type SignedUrlConfig,
} from './media-config.js';
export { isMediaKey, newMediaKey } from './media-keys.js';
export { type MediaModule, type MediaRouteDeps, registerMediaRoutes } from './media-routes.js';
export { createMedia, type MediaSetup, mediaConfigFrom, registerMedia } from './media-setup.js';
export {
  DEFAULT_FILE_MIMES,
  isMediaKind,
  type MediaKind,
  MediaKinds,
  type UploadedEvent,
  type UploadedMedia,
} from './media-types.js';
export { type MediaUrlCheck, MediaUrlPolicy } from './media-url-policy.js';
// s3-blob-store.js is not re-exported: it is loaded lazily by createBlobStore (import it directly if needed).
export { UploadLimiter } from './upload-limiter.js';
