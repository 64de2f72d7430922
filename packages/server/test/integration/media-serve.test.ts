import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type MediaTestApp, startMediaApp, uploadWithFetch } from '../support/media-app.js';
import { sampleMp4 } from '../support/media-samples.js';

let running: MediaTestApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A 64 KiB mp4 whose bytes are all different from their neighbours, so slices can be compared. */
function patternedMp4(): Buffer {
  const b = sampleMp4(2000, 64 * 1024);
  for (let i = 200; i < b.length; i++) b[i] = (i * 7) & 0xff;
  return b;
}

async function uploadVideo(): Promise<{ t: MediaTestApp; url: string; bytes: Buffer }> {
  running = await startMediaApp();
  const bytes = patternedMp4();
  const res = await uploadWithFetch(running.baseUrl, bytes);
  expect(res.status).toBe(200);
  return { t: running, url: res.body.url, bytes };
}

describe('GET /media/:key', () => {
  it('serves the whole blob with type, length, ETag and long cache headers', async () => {
    const { url, bytes } = await uploadVideo();
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers.get('content-disposition')).toBeNull();
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers Range requests with the exact 206 slices', async () => {
    const { url, bytes } = await uploadVideo();
    const size = bytes.length;
    const cases: [string, number, number][] = [
      ['bytes=0-1', 0, 1],
      ['bytes=100-4195', 100, 4195],
      [`bytes=${size - 10}-`, size - 10, size - 1],
      ['bytes=-500', size - 500, size - 1],
      [`bytes=60000-${size + 1000}`, 60000, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await fetch(url, { headers: { range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.headers.get('content-length')).toBe(String(end - start + 1));
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it('answers 416 for a range past the end, and 200 for an invalid or multiple range', async () => {
    const { url, bytes } = await uploadVideo();
    const past = await fetch(url, { headers: { range: `bytes=${bytes.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    await past.text();
    for (const range of ['bytes=9-3', 'items=0-1', 'bytes=0-1,5-6']) {
      const res = await fetch(url, { headers: { range } });
      expect(res.status, range).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(bytes.length);
    }
  });

  it('answers 304 to If-None-Match and honours If-Range', async () => {
    const { url, bytes } = await uploadVideo();
    const first = await fetch(url);
    const etag = first.headers.get('etag') as string;
    await first.arrayBuffer();
    const again = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const stale = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(bytes.length);
    const fresh = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': etag } });
    expect(fresh.status).toBe(206);
    await fresh.arrayBuffer();
  });

  it('answers HEAD with headers only', async () => {
    const { url, bytes } = await uploadVideo();
    const res = await fetch(url, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('content-type')).toBe('video/mp4');
  });

  it('answers 404 for unknown and malformed keys, including path tricks', async () => {
    running = await startMediaApp();
    for (const path of ['/media/AAAAAAAAAAAAAAAAAAAAAAAA.png', '/media/..%2F..%2Fetc%2Fpasswd', '/media/short.png']) {
      const res = await fetch(`${running.baseUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });

  it('streams a range while the client reads slowly (no whole-file read on the server)', async () => {
    const { t, url, bytes } = await uploadVideo();
    const path = new URL(url).pathname;
    const got = await new Promise<Buffer>((resolve, reject) => {
      request({ host: '127.0.0.1', port: t.port, path, headers: { range: 'bytes=1000-' } }, (res) => {
        expect(res.statusCode).toBe(206);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    expect(got.equals(bytes.subarray(1000))).toBe(true);
  });
});

describe('signed URLs', () => {
  it('issues signed links, serves them until they expire, then answers 403', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    running = await startMediaApp({
      config: { signedUrls: { secret: 'test-secret-0123456789', ttlSec: 600 } },
      now: () => now,
    });
    const t = running;
    const bytes = patternedMp4();
    const up = await uploadWithFetch(t.baseUrl, bytes);
    expect(up.status).toBe(200);
    const signed = new URL(up.body.url);
    expect(signed.searchParams.get('exp')).toMatch(/^\d+$/);
    expect(signed.searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const ok = await fetch(signed, { headers: { range: 'bytes=0-99' } });
    expect(ok.status).toBe(206);
    expect(ok.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    await ok.arrayBuffer();

    const bare = await fetch(`${signed.origin}${signed.pathname}`);
    expect(bare.status).toBe(403);
    expect((await bare.json()).error.code).toBe('forbidden');

    const tampered = new URL(signed);
    tampered.searchParams.set('exp', String(Number(signed.searchParams.get('exp')) + 3600));
    expect((await fetch(tampered)).status).toBe(403);

    now += 700_000; // past the TTL (600 s, plus the rounding step of 60 s)
    const expired = await fetch(signed);
    expect(expired.status).toBe(403);
    expect((await expired.json()).error.message).toContain('expired');

    // Re-signing on read gives a working link again.
    const fresh = t.media.policy.signForRead(up.body.url);
    expect(fresh).not.toBe(up.body.url);
    const again = await fetch(fresh);
    expect(again.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);
  });
});
