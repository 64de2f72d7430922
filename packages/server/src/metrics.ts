/** Prometheus metrics (prom-client), one registry per server instance. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'miniim_' });
  return {
    registry,
    messages: new Counter({ name: 'miniim_messages_total', help: 'Messages committed', registers: [registry] }),
    commitBatch: new Histogram({
      name: 'miniim_commit_batch_size',
      help: 'Messages per group-commit transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
      registers: [registry],
    }),
    sockets: new Gauge({ name: 'miniim_sockets', help: 'Open WebSocket sessions', registers: [registry] }),
    framesIn: new Counter({ name: 'miniim_frames_in_total', help: 'Client frames received', registers: [registry] }),
    frameErrors: new Counter({
      name: 'miniim_frame_errors_total',
      help: 'Client frames answered with an error',
      labelNames: ['code'],
      registers: [registry],
    }),
    closes: new Counter({
      name: 'miniim_socket_closes_total',
      help: 'Sockets closed by the server',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
