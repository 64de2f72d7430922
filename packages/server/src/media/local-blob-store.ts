import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImError } from '@miniim/protocol';
import type { BlobInfo, BlobStore, ByteRange } from './blob-store.js';
import { isMediaKey } from './media-keys.js';

interface SidecarMeta {
  contentType: string;
}

/**
 * Blobs on local disk under `<root>/<first 2 key chars>/<key>`, with a small
 * `<key>.json` sidecar holding the content type. Writes go to a temp file that is
 * renamed into place, so a reader never sees a half-written blob.
 */
export class LocalBlobStore implements BlobStore {
  readonly type = 'local' as const;

  /** @param root directory of the blobs, normally `<dataDir>/media` */
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    if (!isMediaKey(key)) throw new ImError('not_found', 'no such media');
    return join(this.root, key.slice(0, 2), key);
  }

  async put(key: string, body: Readable, meta: { contentType: string }): Promise<{ size: number }> {
    const finalPath = this.pathOf(key);
    const dir = join(this.root, key.slice(0, 2));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    let size = 0;
    const count = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length;
        yield chunk;
      }
    };
    try {
      await pipeline(body, count, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      const sidecar: SidecarMeta = { contentType: meta.contentType };
      await writeFile(`${finalPath}.json`, JSON.stringify(sidecar), { mode: 0o600 });
      await rename(tmp, finalPath);
    } catch (err) {
      await rm(tmp, { force: true });
      await rm(`${finalPath}.json`, { force: true });
      throw err;
    }
    return { size };
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    if (!isMediaKey(key)) return undefined;
    const path = this.pathOf(key);
    try {
      const st = await stat(path);
      let contentType = 'application/octet-stream';
      try {
        const meta = JSON.parse(await readFile(`${path}.json`, 'utf8')) as SidecarMeta;
        if (typeof meta.contentType === 'string') contentType = meta.contentType;
      } catch {
        // a missing sidecar only loses the content type
      }
      // Content under a key never changes, so the key itself is a strong validator.
      return { key, size: st.size, contentType, etag: `"${key.split('.')[0]}"`, lastModified: st.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    const stream = createReadStream(path, range ? { start: range.start, end: range.end } : {});
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new ImError('not_found', 'no such media') : err));
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    if (!isMediaKey(key)) return;
    const path = this.pathOf(key);
    await rm(path, { force: true });
    await rm(`${path}.json`, { force: true });
  }
}
