import type { Readable } from 'node:stream';

/** What a store knows about one stored blob. */
export interface BlobInfo {
  key: string;
  size: number;
  contentType: string;
  /** Quoted strong ETag, e.g. `"abc"`. */
  etag: string;
  lastModified: Date;
}

/** An inclusive byte range, as in `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where uploaded media bytes live. One interface, one implementation per file
 * (local-blob-store.ts, s3-blob-store.ts), chosen by createBlobStore.
 * Keys are produced by newMediaKey and are safe as a path segment.
 */
export interface BlobStore {
  /** `local` or `s3`: the media routes serve both through `GET /media/:key`. */
  readonly type: 'local' | 's3';
  /**
   * Streams `body` into the store under `key`; resolves with the byte count once it is durable.
   * If `body` errors the partial blob is discarded and the promise rejects with that error.
   */
  put(key: string, body: Readable, meta: { contentType: string }): Promise<{ size: number }>;
  /** Metadata of a blob, or undefined when there is none. */
  stat(key: string): Promise<BlobInfo | undefined>;
  /** A stream of the blob (or of `range` of it). Rejects with ImError('not_found') when missing. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes a blob; removing a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections; optional. */
  close?(): Promise<void>;
}
