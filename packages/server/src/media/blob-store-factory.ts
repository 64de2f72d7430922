import { join } from 'node:path';
import type { BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import type { MediaConfig } from './media-config.js';
import { S3BlobStore } from './s3-blob-store.js';

/** The one place a blob store is chosen from config: `local` (default) or `s3`. */
export function createBlobStore(config: Pick<MediaConfig, 'store' | 'dataDir'>): BlobStore {
  switch (config.store.type) {
    case 'local':
      return new LocalBlobStore(join(config.dataDir, 'media'));
    case 's3':
      return new S3BlobStore(config.store);
  }
}
