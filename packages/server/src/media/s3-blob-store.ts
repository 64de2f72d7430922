import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ImError } from '@miniim/protocol';
import type { BlobInfo, BlobStore, ByteRange } from './blob-store.js';
import type { S3StoreConfig } from './media-config.js';
import { isMediaKey } from './media-keys.js';

/** S3's minimum part size (except the last part); also the most one upload holds in memory. */
const PART_SIZE = 5 * 1024 * 1024;

/** The S3 client for a store config; checksums only when required, for MinIO/COS/OSS/s3rver compatibility. */
export function createS3Client(cfg: S3StoreConfig): S3Client {
  return new S3Client({
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Blobs in an S3-compatible bucket. Uploads of unknown length are sent as a
 * multipart upload in 5 MiB parts (one part buffered at a time), or as a single
 * PutObject when the whole body fits in one part.
 */
export class S3BlobStore implements BlobStore {
  readonly type = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(cfg: S3StoreConfig, client?: S3Client) {
    this.client = client ?? createS3Client(cfg);
    this.bucket = cfg.bucket;
    this.prefix = cfg.keyPrefix ?? '';
  }

  private objectKey(key: string): string {
    if (!isMediaKey(key)) throw new ImError('not_found', 'no such media');
    return this.prefix + key;
  }

  async put(key: string, body: Readable, meta: { contentType: string }): Promise<{ size: number }> {
    const Key = this.objectKey(key);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let size = 0;
    let uploadId: string | undefined;
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];

    const flushPart = async (): Promise<void> => {
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (uploadId === undefined) {
        const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key, ContentType: meta.contentType }));
        uploadId = created.UploadId;
      }
      const PartNumber = parts.length + 1;
      const res = await this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumber, Body: data }));
      parts.push({ ETag: res.ETag, PartNumber });
    };

    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        size += chunk.length;
        if (pendingBytes >= PART_SIZE) await flushPart();
      }
      if (uploadId === undefined) {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: Buffer.concat(pending, pendingBytes),
            ContentType: meta.contentType,
          }),
        );
      } else {
        if (pendingBytes > 0) await flushPart();
        await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      }
    } catch (err) {
      if (uploadId !== undefined) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId })).catch(() => undefined);
      }
      throw err;
    }
    return { size };
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    if (!isMediaKey(key)) return undefined;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return {
        key,
        size: head.ContentLength ?? 0,
        contentType: head.ContentType ?? 'application/octet-stream',
        etag: head.ETag ?? `"${key.split('.')[0]}"`,
        lastModified: head.LastModified ?? new Date(0),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      if (!res.Body) throw new ImError('not_found', 'no such media');
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new ImError('not_found', 'no such media');
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    if (!isMediaKey(key)) return;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
