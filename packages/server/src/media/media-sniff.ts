// file-type and image-size are imported on the first upload: a node that never receives media does not hold them.

/** Sniffed content type of an upload. */
export interface SniffResult {
  mime: string;
  ext: string;
}

/** Bytes of the head needed to sniff a type (file-type's own sample size). */
export const SNIFF_BYTES = 4100;

function startsWith(buf: Uint8Array, text: string, offset = 0): boolean {
  if (buf.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * The content type from magic bytes only (never the client's name or mime).
 * Adds what file-type does not know: SILK v3 as WeChat records it (`#!SILK_V3`,
 * in WeChat's variant behind one 0x02 byte), and AMR (`#!AMR\n`, `#!AMR-WB\n`).
 */
export async function sniffMedia(head: Uint8Array): Promise<SniffResult | undefined> {
  if (startsWith(head, '#!SILK_V3') || (head[0] === 0x02 && startsWith(head, '#!SILK_V3', 1))) {
    return { mime: 'audio/silk', ext: 'silk' };
  }
  if (startsWith(head, '#!AMR\n') || startsWith(head, '#!AMR-WB\n')) {
    return { mime: 'audio/amr', ext: 'amr' };
  }
  try {
    const { fileTypeFromBuffer } = await import('file-type');
    const found = await fileTypeFromBuffer(head);
    return found ? { mime: found.mime, ext: found.ext } : undefined;
  } catch {
    // A head cut in the middle of a container can make a detector throw: treat as unknown.
    return undefined;
  }
}

/** Width and height read from an image's bytes (the first bytes suffice for every accepted format). */
export async function imageDimensions(bytes: Uint8Array): Promise<{ width: number; height: number } | undefined> {
  const { imageSize } = await import('image-size');
  try {
    const size = imageSize(bytes);
    if (!size.width || !size.height) return undefined;
    // EXIF orientations 5-8 rotate by 90 degrees: report the size as displayed.
    const rotated = size.orientation !== undefined && size.orientation >= 5;
    return rotated ? { width: size.height, height: size.width } : { width: size.width, height: size.height };
  } catch {
    return undefined;
  }
}

/**
 * Duration in milliseconds of an mp4/mov whose `moov` box lies within `bytes`
 * (a "fast start" file); undefined otherwise. Reads `moov/mvhd` only.
 */
export function mp4DurationMs(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const findBox = (start: number, end: number, type: string): { start: number; end: number } | undefined => {
    let pos = start;
    while (pos + 8 <= end) {
      let size = view.getUint32(pos);
      let header = 8;
      if (size === 1) {
        if (pos + 16 > end) return undefined;
        size = Number(view.getBigUint64(pos + 8));
        header = 16;
      } else if (size === 0) {
        size = end - pos;
      }
      if (size < header) return undefined;
      if (startsWith(bytes, type, pos + 4)) return { start: pos + header, end: Math.min(pos + size, end) };
      pos += size;
    }
    return undefined;
  };
  const moov = findBox(0, bytes.length, 'moov');
  if (!moov) return undefined;
  const mvhd = findBox(moov.start, moov.end, 'mvhd');
  if (!mvhd) return undefined;
  const p = mvhd.start;
  const version = bytes[p];
  let timescale: number;
  let duration: number;
  if (version === 1) {
    if (p + 32 > mvhd.end) return undefined;
    timescale = view.getUint32(p + 20);
    duration = Number(view.getBigUint64(p + 24));
  } else {
    if (p + 20 > mvhd.end) return undefined;
    timescale = view.getUint32(p + 12);
    duration = view.getUint32(p + 16);
  }
  if (!timescale || duration === 0xffffffff) return undefined;
  return Math.round((duration / timescale) * 1000);
}
