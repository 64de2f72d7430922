import type { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlobInfo, BlobStore } from '../../src/media/blob-store.js';
import { type MediaTestApp, startMediaApp } from '../support/media-app.js';
import { rawMultipartUpload } from '../support/media-http.js';
import { mp4Head } from '../support/media-samples.js';

const MB = 1024 * 1024;
const FILE_SIZE = 25 * MB - 4096; // just under the 25 MB video limit
const BOUND = 12 * MB; // generous (a streaming upload measures ~3 MB); a buffered copy alone is 25 MB

// A collector we can call, so samples measure live memory rather than uncollected garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let running: MediaTestApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** JS heap plus Buffer memory after a full collection. */
function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Uploads a 25 MB video (client and server in this process), sampling live memory every 1 MB sent. */
async function measureUpload(t: MediaTestApp) {
  const baseline = liveBytes();
  let peak = baseline;
  let nextSample = MB;
  const res = await rawMultipartUpload({
    port: t.port,
    head: mp4Head(60_000, FILE_SIZE),
    fileSize: FILE_SIZE,
    onProgress: (sent) => {
      if (sent >= nextSample) {
        nextSample += MB;
        peak = Math.max(peak, liveBytes());
      }
    },
  });
  peak = Math.max(peak, liveBytes());
  return { res, grewBy: peak - baseline };
}

/** A deliberately bad store that keeps the whole upload in memory (the control case). */
class BufferingStore implements BlobStore {
  readonly type = 'local' as const;
  kept: Buffer[] = [];
  async put(_key: string, body: Readable): Promise<{ size: number }> {
    let size = 0;
    for await (const chunk of body) {
      this.kept.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { size };
  }
  async stat(): Promise<BlobInfo | undefined> {
    return undefined;
  }
  async read(): Promise<Readable> {
    throw new Error('not used');
  }
  async delete(): Promise<void> {}
}

describe('upload memory', () => {
  it('stays flat while a 25 MB video streams through to the local store', async () => {
    running = await startMediaApp();
    const { res, grewBy } = await measureUpload(running);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'video', mime: 'video/mp4', size: FILE_SIZE, duration: 60_000 });
    expect(grewBy).toBeLessThan(BOUND);
  });

  it('(control) the same measurement catches a store that buffers the file', async () => {
    const store = new BufferingStore();
    running = await startMediaApp({ store });
    const { res, grewBy } = await measureUpload(running);
    expect(res.status).toBe(200);
    expect(grewBy).toBeGreaterThan(BOUND);
    store.kept = [];
  });
});
