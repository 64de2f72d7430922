import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMediaKey } from '../../src/media/media-keys.js';
import { S3BlobStore } from '../../src/media/s3-blob-store.js';
import { startMediaApp, uploadWithFetch } from '../support/media-app.js';
import { rawMultipartUpload } from '../support/media-http.js';
import { type LocalS3, startLocalS3 } from '../support/media-s3.js';
import { mp4Head, samplePng } from '../support/media-samples.js';

const MB = 1024 * 1024;
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3?.close();
});

describe('S3 blob store against a local S3 server', () => {
  it('puts, stats, reads ranges and deletes', async () => {
    const store = new S3BlobStore(s3.config);
    try {
      const key = newMediaKey('bin');
      const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
      const put = await store.put(key, Readable.from([bytes.subarray(0, 100), bytes.subarray(100)]), {
        contentType: 'application/pdf',
      });
      expect(put.size).toBe(5000);
      const info = await store.stat(key);
      expect(info).toMatchObject({ key, size: 5000, contentType: 'application/pdf' });
      const read = async (s: Readable) => Buffer.concat(await s.toArray());
      expect((await read(await store.read(key))).equals(bytes)).toBe(true);
      expect((await read(await store.read(key, { start: 10, end: 19 }))).equals(bytes.subarray(10, 20))).toBe(true);
      await store.delete(key);
      expect(await store.stat(key)).toBeUndefined();
      await expect(store.read(key)).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await store.close();
    }
  });

  it('sends a body larger than one part as a multipart upload', async () => {
    const store = new S3BlobStore(s3.config);
    try {
      const key = newMediaKey('mp4');
      const total = 11 * MB + 123;
      async function* gen() {
        const chunk = Buffer.alloc(256 * 1024);
        for (let sent = 0; sent < total; sent += chunk.length) {
          const n = Math.min(chunk.length, total - sent);
          chunk.fill(sent / chunk.length);
          yield Buffer.from(chunk.subarray(0, n));
        }
      }
      const put = await store.put(key, Readable.from(gen()), { contentType: 'video/mp4' });
      expect(put.size).toBe(total);
      expect((await store.stat(key))?.size).toBe(total);
      const tail = Buffer.concat(await (await store.read(key, { start: total - 10, end: total - 1 })).toArray());
      expect(tail.length).toBe(10);
      expect(tail[9]).toBe(Math.floor((total - 1) / (256 * 1024)));
      await store.delete(key);
    } finally {
      await store.close();
    }
  });

  it('round-trips an upload through the routes, served with Range via /media/:key', async () => {
    const store = new S3BlobStore(s3.config);
    const t = await startMediaApp({ config: { store: s3.config }, store });
    try {
      const png = samplePng(16, 9);
      const up = await uploadWithFetch(t.baseUrl, png);
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({
        kind: 'image',
        mime: 'image/png',
        width: 16,
        height: 9,
        size: png.length,
      });
      const key = new URL(up.body.url).pathname.split('/').pop() as string;
      expect((await store.stat(key))?.contentType).toBe('image/png');
      const whole = await fetch(up.body.url);
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await whole.arrayBuffer()).equals(png)).toBe(true);
      const part = await fetch(up.body.url, { headers: { range: 'bytes=-8' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes ${png.length - 8}-${png.length - 1}/${png.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(png.subarray(png.length - 8))).toBe(true);

      // A chunked upload cut off at the limit leaves no object behind.
      const before = await listCount(store);
      const over = await rawMultipartUpload({
        port: t.port,
        head: mp4Head(1000, 30 * MB),
        fileSize: 30 * MB,
        declareLength: false,
        stopAfterBytes: 27 * MB,
      });
      expect(over.status).toBe(413);
      expect(await listCount(store)).toBe(before);
    } finally {
      await t.close();
      await store.close();
    }
  });
});

async function listCount(store: S3BlobStore): Promise<number> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = (store as unknown as { client: import('@aws-sdk/client-s3').S3Client }).client;
  const res = await client.send(new ListObjectsV2Command({ Bucket: s3.config.bucket }));
  return res.KeyCount ?? 0;
}
