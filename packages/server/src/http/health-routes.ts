/** Liveness, readiness (storage + bus reachable) and Prometheus metrics. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';

export interface HealthDeps {
  /** Resolves when storage and bus answer; throws otherwise. */
  ready: () => Promise<void>;
  /** Which backends are in use (`{storage: 'sqlite', bus: 'local'}`), shown by /readyz. */
  backends: { storage: string; bus: string };
  metrics: Metrics;
  logger: Logger;
  /** Whether /metrics may answer this request (private in production, see security.ts). */
  metricsAllowed: (req: FastifyRequest) => boolean;
}

export function registerHealthRoutes(app: FastifyInstance, d: HealthDeps): void {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_req, reply) => {
    try {
      await d.ready();
      return { ok: true, ...d.backends };
    } catch (err) {
      d.logger.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ error: { code: 'unavailable', message: 'storage or bus unreachable' } });
    }
  });

  app.get('/metrics', async (req, reply) => {
    if (!d.metricsAllowed(req)) return reply.status(404).send({ error: { code: 'not_found', message: 'no route GET /metrics' } });
    reply.header('Content-Type', d.metrics.registry.contentType);
    return d.metrics.registry.metrics();
  });
}
