import type { ByteRange } from './blob-store.js';

/**
 * The byte range a `Range` header asks for (RFC 9110 section 14): a ByteRange to
 * answer with 206, 'unsatisfiable' to answer with 416, or undefined to send the whole
 * blob (no header, another unit, invalid syntax, or several ranges, which we may ignore).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return undefined;
  const specs = m[1].split(',');
  if (specs.length !== 1) return undefined;
  const spec = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(specs[0]);
  if (!spec) return undefined;
  const [, first, last] = spec;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // suffix range: the last N bytes
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}
