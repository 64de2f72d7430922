/** Small real files for upload tests (the server checks magic bytes). */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export { sampleJpeg, sampleMp3, sampleMp4 } from '../../../../packages/server/test/support/media-samples.js';

/** A 1×1 PNG. */
export const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** Writes `data` to a fresh temp file named `name`; returns its path (a "temp file path" as wx gives). */
export async function tempFile(name: string, data: Buffer | string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'miniim-mp-'));
  const file = path.join(dir, name);
  await writeFile(file, data);
  return file;
}
