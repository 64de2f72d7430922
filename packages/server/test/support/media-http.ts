import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

/** Result of a raw streamed upload. */
export interface RawUploadResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** File bytes the client had written when the answer arrived (or when it stopped). */
  fileBytesSent: number;
}

/**
 * Streams a multipart upload of a `fileSize`-byte file (starting with `head`, then filler) over
 * node:http with backpressure, without ever holding the file in memory. Stops writing as soon as
 * the answer arrives, or after `stopAfterBytes` file bytes (then waits for the answer with the
 * request left open: a server that waits for the rest of the body never answers).
 */
export function rawMultipartUpload(options: {
  port: number;
  head: Buffer;
  fileSize: number;
  token?: string;
  query?: string;
  /** Send Content-Length (default) or use chunked transfer encoding. */
  declareLength?: boolean;
  stopAfterBytes?: number;
  chunkSize?: number;
  /** Called after each chunk is handed to the socket (for sampling). */
  onProgress?: (sent: number) => void;
}): Promise<RawUploadResult> {
  const boundary = `----miniim${randomBytes(8).toString('hex')}`;
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string | number> = {
    'content-type': `multipart/form-data; boundary=${boundary}`,
    authorization: `Bearer ${options.token ?? 'good-alice'}`,
  };
  if (options.declareLength !== false) headers['content-length'] = preamble.length + options.fileSize + epilogue.length;

  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    let wake: (() => void) | undefined;
    const req = request({
      host: '127.0.0.1',
      port: options.port,
      method: 'POST',
      path: `/api/media${options.query ?? ''}`,
      headers,
    });
    req.on('response', (res) => {
      answered = true;
      wake?.();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text ? JSON.parse(text) : undefined,
          fileBytesSent: sent,
        });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });

    const pump = async () => {
      req.write(preamble);
      const filler = Buffer.alloc(options.chunkSize ?? 64 * 1024, 0x11);
      let chunk: Buffer = options.head;
      while (!answered && sent < options.fileSize) {
        if (options.stopAfterBytes !== undefined && sent >= options.stopAfterBytes) return; // leave the request open
        const n = Math.min(chunk.length, options.fileSize - sent);
        const ok = req.write(chunk.subarray(0, n));
        sent += n;
        options.onProgress?.(sent);
        chunk = filler;
        if (!ok) {
          await new Promise<void>((r) => {
            wake = r;
            req.once('drain', r);
          });
          wake = undefined;
        }
      }
      if (!answered) req.end(epilogue);
    };
    pump().catch(reject);
  });
}
