/** Liveness, readiness (storage + bus reachable) and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_req, reply) => {
    try {
      await ctx.ready();
      return { ok: true, storage: ctx.storage.kind, bus: ctx.bus.kind };
    } catch (err) {
      ctx.logger.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ error: { code: 'unavailable', message: 'storage or bus unreachable' } });
    }
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('Content-Type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
