import { DEFAULT_FILE_MIMES, type MediaKind } from './media-types.js';

/** Byte limit per media kind. */
export type MediaLimits = Record<MediaKind, number>;

/** Local-disk store: blobs live under `<dataDir>/media`. */
export interface LocalStoreConfig {
  type: 'local';
}

/** S3-compatible store (AWS S3, MinIO, Tencent COS, Aliyun OSS). */
export interface S3StoreConfig {
  type: 's3';
  /** e.g. `https://cos.ap-shanghai.myqcloud.com` or `http://127.0.0.1:9000`; omitted for AWS itself. */
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** true for MinIO and most self-hosted servers (`<endpoint>/<bucket>/<key>`). */
  forcePathStyle: boolean;
  /**
   * When set (a CDN or public-read bucket), issued URLs point here (`<publicBaseUrl>/<key>`)
   * instead of the server's `/media/:key` proxy; signed URLs do not apply to such URLs.
   */
  publicBaseUrl?: string;
  /** Optional object-key prefix, e.g. `media/`. */
  keyPrefix?: string;
}

export type MediaStoreConfig = LocalStoreConfig | S3StoreConfig;

/** Expiring read links: `/media/<key>?exp=<epochSec>&sig=<hmac>`. */
export interface SignedUrlConfig {
  /** HMAC key, at least 16 characters; keep it out of the repo. */
  secret: string;
  /** How long a signed link stays valid, in seconds. */
  ttlSec: number;
}

/** Per-user upload limits; 0 switches a limit off. */
export interface MediaQuotaConfig {
  bytesPerDay: number;
  uploadsPerMinute: number;
}

/** Everything the media module reads from the server configuration. */
export interface MediaConfig {
  /**
   * Public origin (plus optional path prefix) clients reach this server at, e.g.
   * `https://im.example.com`. Issued URLs are `<publicBaseUrl>/media/<key>`. When unset,
   * URLs are built from the request's origin and `checkMediaUrl` cannot tell our host from
   * a foreign one (any host with a well-formed `/media/<key>` path passes): dev only.
   */
  publicBaseUrl?: string;
  /** Data directory; the local store writes under `<dataDir>/media`. */
  dataDir: string;
  limits: MediaLimits;
  /** Sniffed mime types accepted as kind `file`; `*` accepts anything. */
  allowedFileMimes: string[];
  store: MediaStoreConfig;
  /** Signed, expiring read URLs; undefined = plain, permanent URLs. */
  signedUrls?: SignedUrlConfig;
  quota: MediaQuotaConfig;
  /** Foreign hosts whose URLs messages may carry (exact host names, or `*.example.com`). */
  allowHosts: string[];
}

const MB = 1024 * 1024;

/** Default limits of the issue: image 10 MB, video 25 MB, audio 5 MB, file 25 MB. */
export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  image: 10 * MB,
  video: 25 * MB,
  audio: 5 * MB,
  file: 25 * MB,
};

/** Default per-user quota: 1 GiB a day, 30 uploads a minute. */
export const DEFAULT_MEDIA_QUOTA: MediaQuotaConfig = {
  bytesPerDay: 1024 * MB,
  uploadsPerMinute: 30,
};

/** A complete MediaConfig from defaults plus the given overrides (limits and quota merge per field). */
export function mediaConfigWithDefaults(
  partial: Partial<Omit<MediaConfig, 'limits' | 'quota'>> & {
    dataDir: string;
    limits?: Partial<MediaLimits>;
    quota?: Partial<MediaQuotaConfig>;
  },
): MediaConfig {
  return {
    ...partial,
    dataDir: partial.dataDir,
    limits: { ...DEFAULT_MEDIA_LIMITS, ...partial.limits },
    allowedFileMimes: partial.allowedFileMimes ?? DEFAULT_FILE_MIMES,
    store: partial.store ?? { type: 'local' },
    quota: { ...DEFAULT_MEDIA_QUOTA, ...partial.quota },
    allowHosts: partial.allowHosts ?? [],
  };
}

/** The largest per-kind limit: the most any upload may send. */
export function maxMediaLimit(limits: MediaLimits): number {
  return Math.max(limits.image, limits.video, limits.audio, limits.file);
}

/** Human form of a byte count for error messages, e.g. `25 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= MB && bytes % MB === 0) return `${bytes / MB} MB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
