import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImError } from '@miniim/protocol';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { BlobStore } from '../../src/media/blob-store.js';
import { createBlobStore } from '../../src/media/blob-store-factory.js';
import { type MediaConfig, mediaConfigWithDefaults } from '../../src/media/media-config.js';
import { type MediaModule, type MediaRouteDeps, registerMediaRoutes } from '../../src/media/media-routes.js';

/** A Fastify app with only the media routes, a stub authenticate and the app's error mapping. */
export interface MediaTestApp {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  port: number;
  config: MediaConfig;
  store: BlobStore;
  media: MediaModule;
  close(): Promise<void>;
}

/** Stub authenticate: `Authorization: Bearer good-<userId>` is user <userId>; anything else is 401. */
export async function stubAuthenticate(req: FastifyRequest): Promise<{ userId: string }> {
  const m = /^Bearer good-([A-Za-z0-9_-]{1,64})$/.exec(req.headers.authorization ?? '');
  if (!m) throw new ImError('unauthorized', 'missing or bad token');
  return { userId: m[1] };
}

/** Same mapping as the server's error handler: ImError → its status and body; others → 500 `internal`. */
export function installTestErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ImError) return reply.code(err.status).send({ error: err.toBody() });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(400).send({ error: { code: 'bad_request', message: (err as Error).message } });
    }
    req.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
}

/**
 * Starts the media routes on 127.0.0.1, port 0, with a temp data dir (removed on close).
 * `config` overrides the defaults (dataDir is filled in).
 */
export async function startMediaApp(
  options: {
    config?: Partial<Omit<MediaConfig, 'limits' | 'quota'>> & {
      limits?: Partial<MediaConfig['limits']>;
      quota?: Partial<MediaConfig['quota']>;
    };
    store?: BlobStore;
    onUploaded?: MediaRouteDeps['onUploaded'];
    now?: () => number;
  } = {},
): Promise<MediaTestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'miniim-media-'));
  const config = mediaConfigWithDefaults({ ...options.config, dataDir });
  const store = options.store ?? (await createBlobStore(config));
  // forceCloseConnections: a keep-alive socket whose streamed answer the client already read
  // in full can still be active at close() and would then hold close() up for its idle timeout.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  installTestErrorHandler(app);
  const media = registerMediaRoutes(app, {
    config,
    authenticate: stubAuthenticate,
    store,
    logger: app.log,
    onUploaded: options.onUploaded,
    now: options.now,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return {
    app,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    store,
    media,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Uploads `bytes` with fetch + FormData as field `file` (plus optional `kind`), returns status and JSON. */
export async function uploadWithFetch(
  baseUrl: string,
  bytes: Uint8Array,
  options: {
    token?: string | null;
    kind?: string;
    filename?: string;
    mime?: string;
    kindInQuery?: string;
  } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const form = new FormData();
  if (options.kind !== undefined) form.append('kind', options.kind);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: options.mime ?? 'application/octet-stream' }), options.filename ?? 'upload.bin');
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? 'good-alice' : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const query = options.kindInQuery ? `?kind=${encodeURIComponent(options.kindInQuery)}` : '';
  const res = await fetch(`${baseUrl}/api/media${query}`, { method: 'POST', body: form, headers });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
