/**
 * The server's Prometheus metrics (`miniim_` prefix), one registry per server instance.
 * Everything on the message path is a pre-bound child of instruments.ts (a few number
 * additions per message); label values come from small fixed sets (kinds, error codes,
 * platforms), never from user input. Features with their own counters (moderation, WeChat)
 * register them in `registry`. With metrics off (`MINIIM_METRICS=0`) the instruments still
 * exist but nothing is registered or collected, and `/metrics` is not served.
 */
import { ErrorCodes } from '@miniim/protocol';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Counter, type CounterChild, Gauge, type GaugeChild, Histogram, type HistogramChild } from './instruments.js';

/** Seconds: from 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

/** How a message reached the server. */
export type SendTransport = 'ws' | 'http';
/** Message kinds a client may send (label values of `miniim_sends_total`). */
const SEND_KINDS = ['text', 'image', 'video', 'audio', 'file', 'custom'] as const;
/** What a send ended with: stored, a resend of a stored one, or an error code. */
const SEND_OUTCOMES = ['ok', 'duplicate', ...ErrorCodes] as const;
/** Who opened a socket, from its upgrade headers (gateway/client-platform.ts). */
export const PLATFORMS = ['wechat', 'browser', 'other'] as const;
export type Platform = (typeof PLATFORMS)[number];
/** Records on the cluster bus. */
export const BUS_RECORDS = ['delivery', 'presence', 'event', 'recovered'] as const;
export type BusRecord = (typeof BUS_RECORDS)[number];

export interface MetricsOptions {
  /** false: nothing registered or collected (`MINIIM_METRICS=0`). Default true. */
  enabled?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}) {
  const enabled = opts.enabled ?? true;
  const registry = new Registry();
  const reg = enabled ? registry : undefined;
  // Process metrics, event-loop lag (miniim_nodejs_eventloop_lag_*), GC, heap.
  if (enabled) collectDefaultMetrics({ register: registry, prefix: 'miniim_' });

  const sends = new Counter({
    name: 'miniim_sends_total',
    help: 'Message sends by transport, kind and outcome (ok, duplicate, or the error code answered)',
    labelNames: ['transport', 'kind', 'outcome'],
    registry: reg,
  });
  // Children are created on first use (only combinations that happened are exported), then found by three map lookups.
  const sendsCache = new Map<string, Map<string, Map<string, CounterChild>>>();
  const ack = new Histogram({
    name: 'miniim_ack_seconds',
    help: 'Time from a send request read to its ack (or error) written, by transport',
    labelNames: ['transport'],
    buckets: LATENCY_BUCKETS,
    registry: reg,
  });
  const sockets = new Gauge({
    name: 'miniim_sockets',
    help: 'Open WebSocket sessions by transport and client platform',
    labelNames: ['transport', 'platform'],
    registry: reg,
  });
  const closes = new Counter({ name: 'miniim_socket_closes_total', help: 'Sockets closed by the server, by close code', labelNames: ['code'], registry: reg });
  const frameErrors = new Counter({
    name: 'miniim_frame_errors_total',
    help: 'Client frames answered with an error, by code',
    labelNames: ['code'],
    registry: reg,
  });
  const busPublished = new Counter({
    name: 'miniim_bus_published_total',
    help: 'Records this node put on the cluster bus',
    labelNames: ['record'],
    registry: reg,
  });
  const busReceived = new Counter({
    name: 'miniim_bus_received_total',
    help: 'Records received from other nodes over the cluster bus',
    labelNames: ['record'],
    registry: reg,
  });
  const uploadBytes = new Counter({ name: 'miniim_upload_bytes_total', help: 'Bytes of media uploads stored, by kind', labelNames: ['kind'], registry: reg });

  return {
    enabled,
    registry,
    /** Messages committed (new, not resends). */
    messages: new Counter({ name: 'miniim_messages_total', help: 'Messages committed', registry: reg }).child(),
    /** `sends(transport, kind, outcome).inc()`: kinds outside the set count as `other`. */
    sends(transport: SendTransport, kind: unknown, outcome: string): CounterChild {
      // Normalised first: the cache never grows with what a client made up.
      const k = typeof kind === 'string' && (SEND_KINDS as readonly string[]).includes(kind) ? kind : 'other';
      const o = (SEND_OUTCOMES as readonly string[]).includes(outcome) ? outcome : 'internal';
      const byKind = sendsCache.get(transport) ?? sendsCache.set(transport, new Map()).get(transport)!;
      const byOutcome = byKind.get(k) ?? byKind.set(k, new Map()).get(k)!;
      let c = byOutcome.get(o);
      if (!c) {
        c = sends.child(transport, k, o);
        byOutcome.set(o, c);
      }
      return c;
    },
    ack: { ws: ack.child('ws'), http: ack.child('http') } satisfies Record<SendTransport, HistogramChild>,
    delivery: new Histogram({
      name: 'miniim_delivery_seconds',
      help: 'Time from a message accepted to its push handed to the sockets of this node (cross-node: includes the bus)',
      buckets: LATENCY_BUCKETS,
      registry: reg,
    }).child(),
    commitSeconds: new Histogram({
      name: 'miniim_storage_commit_seconds',
      help: 'Time one group-commit transaction took (durable)',
      buckets: LATENCY_BUCKETS,
      registry: reg,
    }).child(),
    commitBatch: new Histogram({
      name: 'miniim_commit_batch_size',
      help: 'Messages per group-commit transaction',
      buckets: BATCH_BUCKETS,
      registry: reg,
    }).child(),
    batchesInFlight: new Gauge({ name: 'miniim_storage_batches_in_flight', help: 'Group-commit batches being committed now', registry: reg }).child(),
    sockets: Object.fromEntries(PLATFORMS.map((p) => [p, sockets.child('ws', p)])) as Record<Platform, GaugeChild>,
    framesIn: new Counter({ name: 'miniim_frames_in_total', help: 'Client frames received', registry: reg }).child(),
    frameErrors: (code: string) => frameErrors.child(code),
    closes: (code: number) => closes.child(String(code)),
    slowConsumerCloses: new Counter({
      name: 'miniim_slow_consumer_closes_total',
      help: 'Sockets closed because their client did not read its deliveries (1013)',
      registry: reg,
    }).child(),
    bus: {
      published: Object.fromEntries(BUS_RECORDS.map((r) => [r, busPublished.child(r)])) as Record<BusRecord, CounterChild>,
      received: Object.fromEntries(BUS_RECORDS.map((r) => [r, busReceived.child(r)])) as Record<BusRecord, CounterChild>,
      publishErrors: new Counter({
        name: 'miniim_bus_publish_errors_total',
        help: 'Bus batches that could not be published (Redis away)',
        registry: reg,
      }).child(),
      lag: new Histogram({
        name: 'miniim_bus_lag_seconds',
        help: 'Time from a batch published by another node to its receipt here (includes clock skew)',
        buckets: LATENCY_BUCKETS,
        registry: reg,
      }).child(),
      degraded: new Gauge({ name: 'miniim_bus_degraded', help: '1 while the cluster bus is unreachable (local delivery only)', registry: reg }).child(),
    },
    uploadBytes: (kind: string) => uploadBytes.child(kind),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The bus's part of the metrics. */
export type BusMetrics = Metrics['bus'];
