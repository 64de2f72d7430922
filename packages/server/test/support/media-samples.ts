import { crc32, deflateSync } from 'node:zlib';

/** Small but valid sample files generated in memory, one per accepted type. */

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([be32(data.length), td, be32(crc32(td))]);
}

/** A real PNG (8-bit greyscale) of the given size. */
export function samplePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height, 0x80);
  for (let y = 0; y < height; y++) raw[y * (width + 1)] = 0; // filter byte per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A baseline JPEG header (SOI, JFIF APP0, SOF0 with the size) and EOI: enough for sniffers and image-size. */
export function sampleJpeg(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.alloc(64, 0), Buffer.from([0xff, 0xd9])]);
}

/** A 1-colour GIF89a header with the given logical screen size. */
export function sampleGif(width: number, height: number): Buffer {
  const b = Buffer.alloc(13 + 6 + 11 + 4);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  b.set([0x80, 0, 0], 10); // global colour table of 2 entries
  b.set([0, 0, 0, 0xff, 0xff, 0xff], 13);
  b.set([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02], 19); // image descriptor 1x1 + LZW min code size
  b.set([0x02, 0x44, 0x01, 0x00], 30);
  return Buffer.concat([b, Buffer.from([0x3b])]);
}

/** A WebP (RIFF + VP8X chunk carrying the canvas size). */
export function sampleWebp(width: number, height: number): Buffer {
  const vp8x = Buffer.alloc(10);
  vp8x.writeUIntLE(width - 1, 4, 3);
  vp8x.writeUIntLE(height - 1, 7, 3);
  const chunk = Buffer.concat([Buffer.from('VP8X', 'latin1'), Buffer.from([10, 0, 0, 0]), vp8x]);
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), chunk]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

/** An ISO-BMFF `ftyp` box with the given major brand (`isom`, `qt  `, `M4A `, `heic`). */
export function ftyp(brand: string, compatible: string[] = ['isom', 'mp42']): Buffer {
  const brands = [brand, ...compatible].map((b) => Buffer.from(b.padEnd(4, ' '), 'latin1'));
  const body = Buffer.concat([brands[0], be32(0x200), ...brands.slice(1)]);
  return Buffer.concat([be32(body.length + 8), Buffer.from('ftyp', 'latin1'), body]);
}

function box(type: string, payload: Buffer): Buffer {
  return Buffer.concat([be32(payload.length + 8), Buffer.from(type, 'latin1'), payload]);
}

/** `moov/mvhd` (version 0) stating `durationMs` at timescale 1000. */
export function moovBox(durationMs: number): Buffer {
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12);
  mvhd.writeUInt32BE(durationMs, 16);
  return box('moov', box('mvhd', mvhd));
}

/** The head of a "fast start" mp4 (ftyp + moov) followed by the header of an `mdat` of `mdatBytes`. */
export function mp4Head(durationMs: number, mdatBytes: number, brand = 'isom'): Buffer {
  return Buffer.concat([ftyp(brand), moovBox(durationMs), be32(mdatBytes + 8), Buffer.from('mdat', 'latin1')]);
}

/** A complete small mp4 / mov: ftyp, moov, and an mdat of `mdatBytes` bytes. */
export function sampleMp4(durationMs: number, mdatBytes = 2048, brand = 'isom'): Buffer {
  return Buffer.concat([mp4Head(durationMs, mdatBytes, brand), Buffer.alloc(mdatBytes, 0x11)]);
}

/** MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz), `frames` of them, behind an empty ID3v2 tag. */
export function sampleMp3(frames = 8): Buffer {
  const frame = Buffer.alloc(417, 0);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  const id3 = Buffer.from([0x49, 0x44, 0x33, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  return Buffer.concat([id3, ...Array.from({ length: frames }, () => frame)]);
}

/** ADTS AAC frames (what the mini-program recorder writes for format 'aac'). */
export function sampleAac(frames = 8): Buffer {
  const len = 64;
  const frame = Buffer.alloc(len, 0);
  frame.set([0xff, 0xf1, 0x50, 0x80 | ((len >> 11) & 0x3), (len >> 3) & 0xff, ((len & 0x7) << 5) | 0x1f, 0xfc]);
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

/** An m4a (ftyp `M4A `). */
export function sampleM4a(): Buffer {
  return Buffer.concat([ftyp('M4A ', ['M4A ', 'mp42', 'isom']), moovBox(3000), box('mdat', Buffer.alloc(512, 1))]);
}

/** AMR-NB as WeChat voice messages use it: `#!AMR\n` then frames. */
export function sampleAmr(frames = 20): Buffer {
  const frame = Buffer.alloc(32, 0x55);
  frame[0] = 0x3c; // mode 7 (12.2 kbit/s), quality bit set
  return Buffer.concat([Buffer.from('#!AMR\n', 'latin1'), ...Array.from({ length: frames }, () => frame)]);
}

/** SILK v3 as WeChat records it: a 0x02 byte, `#!SILK_V3`, then frames. */
export function sampleSilk(frames = 20): Buffer {
  const frame = Buffer.concat([Buffer.from([40, 0]), Buffer.alloc(40, 0x33)]);
  return Buffer.concat([Buffer.from([0x02]), Buffer.from('#!SILK_V3', 'latin1'), ...Array.from({ length: frames }, () => frame)]);
}

/** A HEIC head (ftyp `heic`), as iPhones write. */
export function sampleHeic(): Buffer {
  return Buffer.concat([ftyp('heic', ['mif1', 'heic']), box('meta', Buffer.alloc(64, 0))]);
}

/** A tiny PDF. */
export function samplePdf(): Buffer {
  return Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
}
