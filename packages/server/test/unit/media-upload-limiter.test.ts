import { describe, expect, it } from 'vitest';
import { UploadLimiter } from '../../src/media/upload-limiter.js';

function rateLimited(fn: () => unknown): { retryAfterMs?: number; message: string } {
  try {
    fn();
  } catch (err) {
    expect((err as { code: string }).code).toBe('rate_limited');
    return err as { retryAfterMs?: number; message: string };
  }
  throw new Error('expected rate_limited');
}

describe('UploadLimiter', () => {
  it('allows N uploads in any minute and says when the next one is allowed', () => {
    let now = 1_000_000;
    const l = new UploadLimiter({ uploadsPerMinute: 3, bytesPerDay: 0 }, () => now);
    l.beginUpload('u');
    now += 10_000;
    l.beginUpload('u');
    l.beginUpload('u');
    const err = rateLimited(() => l.beginUpload('u'));
    expect(err.retryAfterMs).toBe(50_000);
    l.beginUpload('other');
    now += 50_000;
    l.beginUpload('u');
  });

  it('counts bytes per UTC day and resets at midnight', () => {
    const day = 86_400_000;
    let now = 20_000 * day + day - 5_000; // 5 s before midnight
    const l = new UploadLimiter({ uploadsPerMinute: 0, bytesPerDay: 100 }, () => now);
    l.beginUpload('u');
    l.addBytes('u', 60);
    expect(l.remainingBytes('u')).toBe(40);
    l.addBytes('u', 40);
    const err = rateLimited(() => l.beginUpload('u'));
    expect(err.retryAfterMs).toBe(5_000);
    expect(err.message).toContain('100 bytes');
    now += 5_000;
    expect(l.remainingBytes('u')).toBe(100);
    l.beginUpload('u');
  });

  it('is off when both limits are 0', () => {
    const l = new UploadLimiter({ uploadsPerMinute: 0, bytesPerDay: 0 });
    for (let i = 0; i < 100; i++) l.beginUpload('u');
    expect(l.remainingBytes('u')).toBe(Number.POSITIVE_INFINITY);
  });
});
