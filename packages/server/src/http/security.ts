/**
 * Browser-facing hardening: security headers and CSP on every answer (@fastify/helmet),
 * CORS only for configured origins, and source maps kept private in production
 * (who may read /metrics: metrics-endpoint.ts).
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** The config keys this file reads. */
export interface SecurityConfig {
  production: boolean;
  allowedOrigins: string[];
  corsOrigins: string[];
  mediaAllowHosts: string[];
  publicBaseUrl?: string;
  s3PublicUrl?: string;
}

function origin(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** CSP sources for media and images: this server, data/blob URLs, and the configured media hosts. */
function mediaSources(c: SecurityConfig): string[] {
  const hosts = c.mediaAllowHosts.map((h) => (h.includes('://') ? h : `https://${h}`));
  return ["'self'", 'data:', 'blob:', ...hosts, ...[origin(c.publicBaseUrl), origin(c.s3PublicUrl)].filter((o): o is string => !!o)];
}

/** The API and WebSocket origins the page may connect to. */
function connectSources(c: SecurityConfig): string[] {
  const out = ["'self'"];
  const base = origin(c.publicBaseUrl);
  if (base) out.push(base, base.replace(/^http/, 'ws'));
  return out;
}

export async function registerSecurity(app: FastifyInstance, c: SecurityConfig): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: mediaSources(c),
        mediaSrc: mediaSources(c),
        connectSrc: connectSources(c),
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    // Media are embedded by the mini-program and other origins' pages.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: c.production ? { maxAge: 15552000 } : false,
  });
  if (c.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: c.corsOrigins.includes('*') ? true : c.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    });
  }
  if (c.production) {
    // Source maps show the page's source: not served in production.
    app.addHook('onRequest', async (req, reply) => {
      if (req.method === 'GET' && req.url.split('?')[0]!.endsWith('.map')) {
        return reply.status(404).send({ error: { code: 'not_found', message: 'not found' } });
      }
    });
  }
}
