import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3StoreConfig } from '../../src/media/media-config.js';

/** A local S3-compatible server (s3rver) on port 0 with one bucket, and the store config to reach it. */
export interface LocalS3 {
  config: S3StoreConfig;
  endpoint: string;
  close(): Promise<void>;
}

export async function startLocalS3(bucket = 'miniim-media'): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'miniim-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    config: {
      type: 's3',
      endpoint,
      bucket,
      region: 'us-east-1',
      // s3rver's fixed development credentials, not a secret
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
