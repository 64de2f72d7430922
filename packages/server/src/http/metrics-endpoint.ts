/**
 * Who may read `/metrics`, and the optional separate listener for it.
 *   MINIIM_METRICS=0          not served at all
 *   MINIIM_METRICS_PORT       served only there (MINIIM_METRICS_HOST, default 127.0.0.1), 404 on the API port
 *   MINIIM_METRICS_TOKEN      `Authorization: Bearer <token>` required (the admin token also works), loopback included
 *   otherwise                 public outside production (or MINIIM_METRICS_PUBLIC=1), else loopback or the admin token
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';
import { isLoopbackHost } from '../config/config.js';

// Required, not imported: on Node 24 an ES import of node:http builds its ES module facade, whose
// lazy `WebSocket`/`CloseEvent` getters load undici (about 6 MB of RSS that nothing else here needs).
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

/** The config keys this file reads. */
export interface MetricsAccessConfig {
  production: boolean;
  metrics: boolean;
  metricsPublic?: boolean;
  metricsToken?: string;
  metricsPort?: number;
  metricsHost?: string;
  adminToken?: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a request's bearer token with the configured ones. */
export function bearerMatches(authorization: string | undefined, ...tokens: Array<string | undefined>): boolean {
  if (!authorization?.startsWith('Bearer ')) return false;
  const given = digest(authorization.slice(7));
  let ok = false;
  for (const t of tokens) if (t !== undefined && timingSafeEqual(given, digest(t))) ok = true;
  return ok;
}

/** Whether this request may read the metrics; `onOwnListener` for the separate metrics listener. */
export function metricsAllowed(c: MetricsAccessConfig, req: Pick<IncomingMessage, 'headers' | 'socket'>, onOwnListener = false): boolean {
  if (!c.metrics) return false;
  if (c.metricsPort !== undefined && !onOwnListener) return false;
  if (c.metricsToken !== undefined) return bearerMatches(req.headers.authorization, c.metricsToken, c.adminToken);
  if (onOwnListener || (c.metricsPublic ?? !c.production)) return true;
  if (isLoopbackHost(req.socket.remoteAddress ?? '')) return true;
  return bearerMatches(req.headers.authorization, c.adminToken);
}

/** The separate metrics listener (MINIIM_METRICS_PORT): GET /metrics and nothing else. */
export async function listenMetrics(c: MetricsAccessConfig, registry: Registry): Promise<{ server: Server; port: number; host: string }> {
  const host = c.metricsHost ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics' || !metricsAllowed(c, req, true)) {
      return answer(404, 'application/json', JSON.stringify({ error: { code: 'not_found', message: 'not found' } }));
    }
    registry.metrics().then(
      (text) => answer(200, registry.contentType, text),
      () => answer(500, 'application/json', JSON.stringify({ error: { code: 'internal', message: 'metrics failed' } })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(c.metricsPort, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : (c.metricsPort ?? 0), host };
}
