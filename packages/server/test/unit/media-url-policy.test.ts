import { ImError } from '@miniim/protocol';
import { describe, expect, it } from 'vitest';
import { newMediaKey } from '../../src/media/media-keys.js';
import { MediaUrlPolicy } from '../../src/media/media-url-policy.js';

const key = newMediaKey('jpg');
const base = {
  publicBaseUrl: 'https://im.example.com',
  store: { type: 'local' as const },
  allowHosts: ['cdn.partner.com', '*.qpic.cn'],
};

function badRequest(fn: () => unknown, field = 'body.url'): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImError);
    expect((err as ImError).code).toBe('bad_request');
    expect((err as ImError).message.startsWith(field)).toBe(true);
    return;
  }
  throw new Error('expected bad_request');
}

describe('MediaUrlPolicy.checkMediaUrl', () => {
  const policy = new MediaUrlPolicy(base);

  it('accepts URLs this server issued and returns the key', () => {
    const url = policy.issueUrl(key);
    expect(url).toBe(`https://im.example.com/media/${key}`);
    expect(policy.checkMediaUrl(url)).toEqual({ canonical: url, key });
  });

  it('refuses a foreign URL with bad_request naming the field', () => {
    badRequest(() => policy.checkMediaUrl('https://evil.example.net/cat.jpg'));
    badRequest(() => policy.checkMediaUrl(`https://evil.example.net/media/${key}`)); // our path, other host
    badRequest(() => policy.checkMediaUrl(`http://im.example.com.evil.net/media/${key}`));
    badRequest(() => policy.checkMediaUrl(`https://user:pw@cdn.partner.com/a.jpg`));
    badRequest(() => policy.checkMediaUrl('javascript:alert(1)'));
    badRequest(() => policy.checkMediaUrl(`https://im.example.com/media/${key}/../x`));
    badRequest(() => policy.checkMediaUrl('https://im.example.com/media/guessme.jpg'));
    badRequest(() => policy.checkMediaUrl(`/media/${key}`)); // host is configured: relative is not ours
    badRequest(() => policy.checkMediaUrl(''), 'body.url is required');
    badRequest(() => policy.checkMediaUrl(42));
    badRequest(() => policy.checkMediaUrl('https://evil.example.net/x', 'body.cover'), 'body.cover');
  });

  it('accepts allow-listed hosts, exact and wildcard', () => {
    expect(policy.checkMediaUrl('https://cdn.partner.com/a.jpg').key).toBeUndefined();
    expect(policy.checkMediaUrl('https://wx.qlogo.qpic.cn/x/0').canonical).toBe('https://wx.qlogo.qpic.cn/x/0');
    badRequest(() => policy.checkMediaUrl('https://qpic.cn.evil.net/x'));
    badRequest(() => policy.checkMediaUrl('https://evilqpic.cn/x'));
    badRequest(() => policy.checkMediaUrl('ftp://cdn.partner.com/a.jpg'));
  });

  it('strips a signature (even an expired one) to the canonical URL', () => {
    const url = `https://im.example.com/media/${key}?exp=1&sig=abc#frag`;
    expect(policy.checkMediaUrl(url)).toEqual({ canonical: `https://im.example.com/media/${key}`, key });
  });

  it('honours a path prefix in publicBaseUrl', () => {
    const p = new MediaUrlPolicy({ ...base, publicBaseUrl: 'https://example.com/im/' });
    expect(p.issueUrl(key)).toBe(`https://example.com/im/media/${key}`);
    expect(p.checkMediaUrl(`https://example.com/im/media/${key}`).key).toBe(key);
    badRequest(() => p.checkMediaUrl(`https://example.com/media/${key}`));
  });

  it('without publicBaseUrl (dev) accepts the /media/<key> shape but stores only the path, never a foreign host', () => {
    const p = new MediaUrlPolicy({ ...base, publicBaseUrl: undefined });
    expect(p.issueUrl(key, 'http://127.0.0.1:3000')).toBe(`http://127.0.0.1:3000/media/${key}`);
    expect(p.checkMediaUrl(`http://192.168.1.5:3000/media/${key}`)).toEqual({ canonical: `/media/${key}`, key });
    expect(p.checkMediaUrl(`https://evil.example/media/${key}`).canonical).toBe(`/media/${key}`);
    expect(p.checkMediaUrl(`/media/${key}`).canonical).toBe(`/media/${key}`);
    badRequest(() => p.checkMediaUrl('http://192.168.1.5:3000/uploads/cat.jpg'));
  });

  it('accepts the S3 public base when the store has one', () => {
    const p = new MediaUrlPolicy({
      ...base,
      store: {
        type: 's3',
        bucket: 'b',
        region: 'r',
        accessKeyId: 'a',
        secretAccessKey: 's',
        forcePathStyle: true,
        publicBaseUrl: 'https://media-cdn.example.com/chat',
      },
    });
    expect(p.issueUrl(key)).toBe(`https://media-cdn.example.com/chat/${key}`);
    expect(p.checkMediaUrl(`https://media-cdn.example.com/chat/${key}`).key).toBe(key);
    expect(p.checkMediaUrl(`https://im.example.com/media/${key}`).key).toBe(key);
  });
});

describe('MediaUrlPolicy.checkMediaBody', () => {
  const policy = new MediaUrlPolicy(base);
  const url = `https://im.example.com/media/${key}`;

  it('keeps size, width, height, duration and canonicalises url and cover', () => {
    const body = { url: `${url}?exp=5&sig=x`, width: 640, height: 480, size: 1234 };
    expect(policy.checkMediaBody('image', body)).toEqual({ url, width: 640, height: 480, size: 1234 });
    const video = policy.checkMediaBody('video', { url, cover: `${url}?exp=1&sig=y`, duration: 12.5 });
    expect(video).toEqual({ url, cover: url, duration: 12.5 });
  });

  it('refuses bad numbers, a foreign cover and a non-object body', () => {
    badRequest(() => policy.checkMediaBody('image', { url, width: -1 }), 'body.width');
    badRequest(() => policy.checkMediaBody('image', { url, size: 1.5 }), 'body.size');
    badRequest(() => policy.checkMediaBody('audio', { url, duration: 'long' }), 'body.duration');
    badRequest(() => policy.checkMediaBody('video', { url, cover: 'https://evil.net/c.jpg' }), 'body.cover');
    badRequest(() => policy.checkMediaBody('file', { name: 'a.pdf' }), 'body.url');
    badRequest(() => policy.checkMediaBody('file', 'https://x'), 'body');
  });
});

describe('signed URLs', () => {
  const secret = 'unit-test-secret-123456';

  it('signs on read, verifies, and expires', () => {
    let now = 1_700_000_000_000;
    const p = new MediaUrlPolicy({ ...base, signedUrls: { secret, ttlSec: 3600 } }, { now: () => now });
    const signed = new URL(p.signForRead(`https://im.example.com/media/${key}`));
    const query = Object.fromEntries(signed.searchParams);
    expect(() => p.verifyRead(key, query)).not.toThrow();
    const exp = Number(query.exp) * 1000;
    expect(exp - now).toBeGreaterThanOrEqual(3600_000);
    expect(exp - now).toBeLessThanOrEqual(3960_000);
    expect(() => p.verifyRead(newMediaKey('jpg'), query)).toThrow(/signature/); // other key
    expect(() => p.verifyRead(key, {})).toThrow(/not signed/);
    now = exp;
    expect(() => p.verifyRead(key, query)).toThrow(/expired/);
  });

  it('without publicBaseUrl, signs an upload answer on the request origin and a stored path as a path', () => {
    const p = new MediaUrlPolicy({ ...base, publicBaseUrl: undefined, signedUrls: { secret, ttlSec: 3600 } });
    expect(p.issueUrl(key, 'http://127.0.0.1:3000')).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:3000/media/${key}\\?exp=\\d+&sig=`));
    expect(p.signForRead(`/media/${key}`)).toMatch(new RegExp(`^/media/${key}\\?exp=\\d+&sig=`));
  });

  it('keeps the same link within a rounding step so clients can cache it', () => {
    let now = 1_700_000_000_000;
    const p = new MediaUrlPolicy({ ...base, signedUrls: { secret, ttlSec: 3600 } }, { now: () => now });
    const url = `https://im.example.com/media/${key}`;
    const a = p.signForRead(url);
    now += 1000;
    expect(p.signForRead(a)).toBe(a); // re-signing a signed URL starts from the canonical form
    now += 400_000;
    expect(p.signForRead(url)).not.toBe(a);
  });

  it('leaves foreign URLs alone and refuses a short secret', () => {
    const p = new MediaUrlPolicy({ ...base, signedUrls: { secret, ttlSec: 60 } });
    expect(p.signForRead('https://cdn.partner.com/a.jpg')).toBe('https://cdn.partner.com/a.jpg');
    expect(p.signMediaBody({ url: 'not a url', name: 'x' })).toEqual({ url: 'not a url', name: 'x' });
    expect(() => new MediaUrlPolicy({ ...base, signedUrls: { secret: 'short', ttlSec: 60 } })).toThrow(/16/);
  });
});
