import { ImError } from '@miniim/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { UploadedEvent } from '../../src/media/media-types.js';
import { type MediaTestApp, startMediaApp, uploadWithFetch } from '../support/media-app.js';
import { rawMultipartUpload } from '../support/media-http.js';
import * as samples from '../support/media-samples.js';

const MB = 1024 * 1024;
let running: MediaTestApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});
async function start(options?: Parameters<typeof startMediaApp>[0]): Promise<MediaTestApp> {
  running = await startMediaApp(options);
  return running;
}

describe('POST /api/media', () => {
  const cases = [
    {
      name: 'png',
      bytes: samples.samplePng(30, 20),
      kind: 'image',
      mime: 'image/png',
      width: 30,
      height: 20,
    },
    {
      name: 'jpeg',
      bytes: samples.sampleJpeg(640, 480),
      kind: 'image',
      mime: 'image/jpeg',
      width: 640,
      height: 480,
    },
    { name: 'gif', bytes: samples.sampleGif(7, 9), kind: 'image', mime: 'image/gif', width: 7, height: 9 },
    {
      name: 'webp',
      bytes: samples.sampleWebp(100, 50),
      kind: 'image',
      mime: 'image/webp',
      width: 100,
      height: 50,
    },
    { name: 'heic', bytes: samples.sampleHeic(), kind: 'image', mime: 'image/heic' },
    { name: 'mp4', bytes: samples.sampleMp4(1234), kind: 'video', mime: 'video/mp4', duration: 1234 },
    {
      name: 'mov',
      bytes: samples.sampleMp4(500, 100, 'qt'),
      kind: 'video',
      mime: 'video/quicktime',
      duration: 500,
    },
    { name: 'mp3', bytes: samples.sampleMp3(), kind: 'audio', mime: 'audio/mpeg' },
    { name: 'aac', bytes: samples.sampleAac(), kind: 'audio', mime: 'audio/aac' },
    { name: 'm4a', bytes: samples.sampleM4a(), kind: 'audio', mime: 'audio/x-m4a' },
    { name: 'amr', bytes: samples.sampleAmr(), kind: 'audio', mime: 'audio/amr' },
    { name: 'silk', bytes: samples.sampleSilk(), kind: 'audio', mime: 'audio/silk' },
    { name: 'pdf', bytes: samples.samplePdf(), kind: 'file', mime: 'application/pdf' },
  ];

  for (const c of cases) {
    it(`stores a ${c.name}, infers kind ${c.kind} and serves the same bytes back`, async () => {
      const t = await start();
      // The client's file name and mime lie: only the bytes count.
      const res = await uploadWithFetch(t.baseUrl, c.bytes, { filename: 'x.txt', mime: 'text/plain' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ kind: c.kind, mime: c.mime, size: c.bytes.length });
      expect(res.body.width).toBe(c.width);
      expect(res.body.height).toBe(c.height);
      expect(res.body.duration).toBe(c.duration);
      expect(res.body.url).toMatch(new RegExp(`^${t.baseUrl}/media/[A-Za-z0-9_-]{24}\\.[a-z0-9]+$`));
      const got = await fetch(res.body.url);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe(c.mime);
      expect(Buffer.from(await got.arrayBuffer()).equals(c.bytes)).toBe(true);
    });
  }

  it('honours the client kind when it fits the content (form field or query)', async () => {
    const t = await start();
    const png = samples.samplePng(4, 4);
    const asFile = await uploadWithFetch(t.baseUrl, png, { kind: 'file' });
    expect(asFile.status).toBe(200);
    expect(asFile.body).toMatchObject({ kind: 'file', mime: 'image/png' });
    const viaQuery = await uploadWithFetch(t.baseUrl, png, { kindInQuery: 'image' });
    expect(viaQuery.body).toMatchObject({ kind: 'image', width: 4, height: 4 });
  });

  it('checks a kind field sent after the file against what was stored', async () => {
    const t = await start();
    const send = async (kind: string) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(samples.samplePng(6, 6))]), 'a.png');
      form.append('kind', kind);
      const res = await fetch(`${t.baseUrl}/api/media`, {
        method: 'POST',
        headers: { authorization: 'Bearer good-alice' },
        body: form,
      });
      return { status: res.status, body: await res.json() };
    };
    expect(await send('file')).toMatchObject({ status: 200, body: { kind: 'file', mime: 'image/png' } });
    const wrong = await send('audio');
    expect(wrong.status).toBe(415);
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(`${t.config.dataDir}/media`, { recursive: true })).filter((f) => /\.png$/.test(f));
    expect(files).toHaveLength(1); // the refused upload left nothing behind
  });

  it('answers 415 unsupported_media when the magic bytes do not match', async () => {
    const t = await start();
    const text = Buffer.from('this is not a picture at all, just text pretending to be one');
    const res = await uploadWithFetch(t.baseUrl, text, {
      kind: 'image',
      filename: 'cat.png',
      mime: 'image/png',
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media');
    const noKind = await uploadWithFetch(t.baseUrl, text, { filename: 'cat.png', mime: 'image/png' });
    expect(noKind.status).toBe(415);
    const pngAsVideo = await uploadWithFetch(t.baseUrl, samples.samplePng(2, 2), { kind: 'video' });
    expect(pngAsVideo.status).toBe(415);
    expect(pngAsVideo.body.error.message).toContain('image/png');
  });

  it('accepts unrecognised content as a file only when the file allow-list has "*"', async () => {
    const t = await start({ config: { allowedFileMimes: ['*'] } });
    const res = await uploadWithFetch(t.baseUrl, Buffer.from('plain text notes'), { kind: 'file' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'file', mime: 'application/octet-stream', size: 16 });
    const served = await fetch(res.body.url);
    expect(served.headers.get('content-disposition')).toBe('attachment');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses an unauthenticated upload with 401', async () => {
    const t = await start();
    const none = await uploadWithFetch(t.baseUrl, samples.samplePng(2, 2), { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const bad = await uploadWithFetch(t.baseUrl, samples.samplePng(2, 2), { token: 'forged' });
    expect(bad.status).toBe(401);
  });

  it('answers bad_request for a non-multipart body, a missing file, an empty file, a bad kind', async () => {
    const t = await start();
    const json = await fetch(`${t.baseUrl}/api/media`, {
      method: 'POST',
      headers: { authorization: 'Bearer good-alice', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(400);
    expect((await json.json()).error.code).toBe('bad_request');

    const form = new FormData();
    form.append('kind', 'image');
    const noFile = await fetch(`${t.baseUrl}/api/media`, {
      method: 'POST',
      headers: { authorization: 'Bearer good-alice' },
      body: form,
    });
    expect(noFile.status).toBe(400);
    expect((await noFile.json()).error.message).toContain('file');

    const empty = await uploadWithFetch(t.baseUrl, new Uint8Array(0));
    expect(empty.status).toBe(400);
    const badKind = await uploadWithFetch(t.baseUrl, samples.samplePng(2, 2), { kind: 'sticker' });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.message).toContain('kind');
  });

  it('refuses a second file', async () => {
    const t = await start();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(samples.samplePng(2, 2))]), 'a.png');
    form.append('file', new Blob([new Uint8Array(samples.samplePng(2, 2))]), 'b.png');
    const res = await fetch(`${t.baseUrl}/api/media`, {
      method: 'POST',
      headers: { authorization: 'Bearer good-alice' },
      body: form,
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('bad_request');
  });

  it('answers 413 naming the limit for a small-limit kind', async () => {
    const t = await start({ config: { limits: { image: 1024 } } });
    const big = Buffer.concat([samples.samplePng(2, 2), Buffer.alloc(4096)]);
    const res = await uploadWithFetch(t.baseUrl, big);
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: 'too_large', message: 'image uploads are limited to 1 KB' });
  });

  it('answers 413 from Content-Length alone, before the body arrives', async () => {
    const t = await start();
    // Declares a 40 MB video but sends only 256 KB and then waits: a server that read on
    // to the end of the body would never answer.
    const res = await rawMultipartUpload({
      port: t.port,
      head: samples.mp4Head(1000, 40 * MB),
      fileSize: 40 * MB,
      stopAfterBytes: 256 * 1024,
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_large');
    expect(res.body.error.message).toContain('25 MB');
    expect(res.fileBytesSent).toBeLessThan(1 * MB);
    // Up to a bound the rest of the body is read and discarded, so that a client still writing
    // it reads the answer instead of EPIPE (issue 14); bigger declared bodies are cut off.
  });

  it('closes the connection after an early answer when the declared body is past the drain bound', async () => {
    const t = await start();
    const res = await rawMultipartUpload({ port: t.port, head: samples.mp4Head(1000, 400 * MB), fileSize: 400 * MB, stopAfterBytes: 256 * 1024 });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
  });

  it('answers 413 from the sniffed kind limit when the declared length fits another kind', async () => {
    const t = await start();
    // 8 MB of audio: under the 25 MB ceiling, over the 5 MB audio limit; only 1 MB is sent.
    const res = await rawMultipartUpload({
      port: t.port,
      head: samples.sampleMp3(),
      fileSize: 8 * MB,
      stopAfterBytes: 1 * MB,
    });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe('audio uploads are limited to 5 MB');
  });

  it('stops a chunked upload (no Content-Length) at the limit and keeps nothing', async () => {
    const t = await start({ config: { limits: { video: 2 * MB } } });
    const res = await rawMultipartUpload({
      port: t.port,
      head: samples.mp4Head(1000, 6 * MB),
      fileSize: 6 * MB,
      declareLength: false,
      stopAfterBytes: 3 * MB,
    });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe('video uploads are limited to 2 MB');
    const { readdir } = await import('node:fs/promises');
    const left = await readdir(`${t.config.dataDir}/media`, { recursive: true }).catch(() => []);
    expect(left.filter((f) => !f.toString().match(/^[A-Za-z0-9_-]{2}$/))).toEqual([]);
  });

  it('calls onUploaded, and a content_rejected from it fails the upload and removes the blob', async () => {
    const events: UploadedEvent[] = [];
    let reject = false;
    const t = await start({
      onUploaded: async (e) => {
        events.push(e);
        if (reject) throw new ImError('content_rejected', 'media refused by the content check');
      },
    });
    const ok = await uploadWithFetch(t.baseUrl, samples.samplePng(3, 3), { token: 'good-bob' });
    expect(ok.status).toBe(200);
    expect(events[0]).toMatchObject({
      userId: 'bob',
      url: ok.body.url,
      kind: 'image',
      mime: 'image/png',
      size: ok.body.size,
    });
    reject = true;
    const refused = await uploadWithFetch(t.baseUrl, samples.samplePng(5, 5));
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('content_rejected');
    expect(await t.store.stat(events[1].key)).toBeUndefined();
    expect((await fetch(events[1].url)).status).toBe(404);
  });

  it('limits uploads per minute with 429 and retryAfterMs', async () => {
    const t = await start({ config: { quota: { uploadsPerMinute: 2 } } });
    const png = samples.samplePng(2, 2);
    expect((await uploadWithFetch(t.baseUrl, png)).status).toBe(200);
    expect((await uploadWithFetch(t.baseUrl, png)).status).toBe(200);
    const third = await uploadWithFetch(t.baseUrl, png);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('rate_limited');
    expect(third.body.error.retryAfterMs).toBeGreaterThan(0);
    expect(third.body.error.retryAfterMs).toBeLessThanOrEqual(60_000);
    // other users are not affected
    expect((await uploadWithFetch(t.baseUrl, png, { token: 'good-carol' })).status).toBe(200);
  });

  it('enforces the daily byte quota with 429', async () => {
    const png = samples.samplePng(40, 40);
    const t = await start({ config: { quota: { bytesPerDay: png.length * 2 + 10 } } });
    expect((await uploadWithFetch(t.baseUrl, png)).status).toBe(200);
    expect((await uploadWithFetch(t.baseUrl, png)).status).toBe(200);
    const third = await uploadWithFetch(t.baseUrl, png);
    expect(third.status).toBe(429);
    expect(third.body.error.message).toContain('quota');
    expect(third.body.error.retryAfterMs).toBeGreaterThan(0);
  });
});
