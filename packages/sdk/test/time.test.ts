import { describe, expect, it } from 'vitest';
import { formatTime, timeSeparators } from '../src/index.js';

describe('time helpers', () => {
  const now = new Date(2026, 10, 22, 15, 0).getTime();

  it('labels times the way WeChat does, in local time', () => {
    expect(formatTime(new Date(2026, 10, 22, 14, 5).getTime(), now)).toBe('14:05');
    expect(formatTime(new Date(2026, 10, 21, 9, 30).getTime(), now)).toBe('昨天 09:30');
    expect(formatTime(new Date(2026, 2, 8, 14, 5).getTime(), now)).toBe('3月8日 14:05');
    expect(formatTime(new Date(2023, 2, 8, 14, 5).getTime(), now)).toBe('2023年3月8日 14:05');
    expect(formatTime(0, now)).toBe('');
  });

  it('puts a separator above the first message and after every gap of more than a minute', () => {
    const ts = [0, 30_000, 90_000, 200_000, 260_000].map((t) => now + t);
    expect(timeSeparators(ts.map((t) => ({ ts: t })))).toEqual([0, 3]);
    expect(timeSeparators([])).toEqual([]);
  });
});
