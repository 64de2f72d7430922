import { join } from 'node:path';
import type { BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import type { MediaConfig } from './media-config.js';

/**
 * The one place a blob store is chosen from config: `local` (default) or `s3`.
 * The S3 client (about 20 MB of heap) is loaded only when the S3 store is configured.
 */
export async function createBlobStore(config: Pick<MediaConfig, 'store' | 'dataDir'>): Promise<BlobStore> {
  switch (config.store.type) {
    case 'local':
      return new LocalBlobStore(join(config.dataDir, 'media'));
    case 's3': {
      const { S3BlobStore } = await import('./s3-blob-store.js');
      return new S3BlobStore(config.store);
    }
  }
}
