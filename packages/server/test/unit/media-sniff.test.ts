import { describe, expect, it } from 'vitest';
import { isMediaKey, newMediaKey } from '../../src/media/media-keys.js';
import { imageDimensions, mp4DurationMs, sniffMedia } from '../../src/media/media-sniff.js';
import { DEFAULT_FILE_MIMES } from '../../src/media/media-types.js';
import { resolveKind } from '../../src/media/media-upload.js';
import * as samples from '../support/media-samples.js';

describe('sniffMedia', () => {
  it('recognises WeChat voice formats file-type does not know', async () => {
    expect(await sniffMedia(samples.sampleSilk())).toEqual({ mime: 'audio/silk', ext: 'silk' });
    expect(await sniffMedia(Buffer.from('#!SILK_V3 rest'))).toEqual({ mime: 'audio/silk', ext: 'silk' });
    expect(await sniffMedia(samples.sampleAmr())).toEqual({ mime: 'audio/amr', ext: 'amr' });
  });

  it('returns undefined for text and for nothing', async () => {
    expect(await sniffMedia(Buffer.from('hello, world'))).toBeUndefined();
    expect(await sniffMedia(new Uint8Array(0))).toBeUndefined();
  });

  it('reads image dimensions and mp4 duration from the bytes', async () => {
    expect(await imageDimensions(samples.samplePng(123, 45))).toEqual({ width: 123, height: 45 });
    expect(await imageDimensions(Buffer.from('not an image'))).toBeUndefined();
    expect(mp4DurationMs(samples.sampleMp4(90_500))).toBe(90_500);
    expect(mp4DurationMs(samples.ftyp('isom'))).toBeUndefined(); // no moov in the prefix
    expect(mp4DurationMs(Buffer.from([0, 0, 0, 1, 0x6d, 0x6f, 0x6f, 0x76]))).toBeUndefined(); // truncated
  });
});

describe('resolveKind', () => {
  const config = { allowedFileMimes: DEFAULT_FILE_MIMES };
  it('infers the kind from the sniffed type', () => {
    expect(resolveKind('image/webp', undefined, config)).toBe('image');
    expect(resolveKind('video/quicktime', undefined, config)).toBe('video');
    expect(resolveKind('audio/silk', undefined, config)).toBe('audio');
    expect(resolveKind('application/pdf', undefined, config)).toBe('file');
  });
  it('accepts a requested kind only when it fits, 415 otherwise', () => {
    expect(resolveKind('image/png', 'file', config)).toBe('file');
    expect(() => resolveKind('image/png', 'audio', config)).toThrow(expect.objectContaining({ code: 'unsupported_media' }));
    expect(() => resolveKind('application/x-msdownload', undefined, config)).toThrow(/not an allowed/);
    expect(() => resolveKind('application/pdf', 'file', { allowedFileMimes: ['application/zip'] })).toThrow();
  });
});

describe('media keys', () => {
  it('are unguessable and path-safe', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => newMediaKey('png')));
    expect(keys.size).toBe(1000);
    for (const k of keys) expect(isMediaKey(k)).toBe(true);
    expect(newMediaKey('../x')).toMatch(/\.bin$/);
    expect(isMediaKey('../../etc/passwd')).toBe(false);
    expect(isMediaKey(`${'A'.repeat(24)}.png/x`)).toBe(false);
  });
});
