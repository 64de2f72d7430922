/**
 * The bus of several nodes sharing one Redis. Every node publishes to, and subscribes to,
 * one channel (`<prefix>bus`); a node delivers its own publishes to its own sockets at once
 * (so a Redis outage never stops local delivery) and ignores them when they come back.
 * Deliveries of one event-loop turn go out as one PUBLISH: each frame was serialised once
 * by the core and is copied into the batch as it is (never re-escaped).
 *
 * Batch format (text): the publishing node's id and the publish time (`<id> <epoch ms>`; a
 * node before 2026-12 sent the id alone), then per record a header line (JSON) and a
 * payload line. JSON.stringify never emits a raw newline, so a frame is always one line.
 *   header {u: userIds, x?: exceptSessionId, t?: accepted at (ms)}  payload: the frame
 *   header {p: userId, o: 0|1}                payload: empty (presence change)
 *   header {e: BusEvent}                      payload: empty (cache invalidation)
 *   header {r: 1}                             payload: empty (a node recovered: clients sync)
 *
 * Why one channel rather than per-node channels with a user→node table: with a handful of
 * nodes a publish costs one PUBLISH and no lookup; per-node routing would add a Redis read
 * per delivery (or a cached table that goes stale when a client moves). See docs/cluster.md.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { BusMetrics } from '../metrics/metrics.js';
import type { Bus, BusEvent, BusEventHandler, Delivery, DeliveryHandler, LoadSource, NodeLoad, PresenceHandler } from './bus.js';
import { RedisPresence } from './redis-presence.js';

export interface RedisBusOptions {
  url: string;
  /** Prefix of every key and channel (several clusters, or test runs, can share one Redis). */
  prefix: string;
  /** How long a node's presence outlives its last heartbeat (a crashed node's users read offline after it). */
  presenceTtlMs: number;
  logger: Logger;
  /** How long start-up waits for Redis before failing. */
  connectTimeoutMs?: number;
  metrics?: BusMetrics;
}

type Header = { u: string[]; x?: string; t?: number } | { p: string; o: 0 | 1 } | { e: BusEvent } | { r: 1 };

export class RedisBus implements Bus {
  readonly kind = 'redis';
  /** This process's id in the cluster (random per start, so a restarted node never inherits a dead one's state). */
  readonly nodeId = randomBytes(6).toString('hex');
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly presence: RedisPresence;
  private deliveryHandlers: DeliveryHandler[] = [];
  private presenceHandlers: PresenceHandler[] = [];
  private eventHandlers: BusEventHandler[] = [];
  private recoveredHandlers: Array<() => void> = [];
  private batch: string[] = [];
  private flushScheduled = false;
  /** Set when a connection dropped or a publish failed: deliveries may have been lost. */
  private degraded = false;
  private recovering = false;
  private started = false;
  private closing = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private load: LoadSource = () => ({ sockets: 0, users: 0 });
  private readonly m: BusMetrics | undefined;

  constructor(private readonly o: RedisBusOptions) {
    this.m = o.metrics;
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: o.connectTimeoutMs ?? 3000,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    };
    this.pub = new Redis(o.url, { ...common, connectionName: `miniim-pub-${this.nodeId}` });
    this.sub = new Redis(o.url, { ...common, autoResubscribe: false, connectionName: `miniim-sub-${this.nodeId}` });
    this.channel = `${o.prefix}bus`;
    this.presence = new RedisPresence({
      redis: this.pub,
      prefix: o.prefix,
      nodeId: this.nodeId,
      ttlMs: o.presenceTtlMs,
      logger: o.logger,
      announce: (userId, online) => this.announcePresence(userId, online),
      failed: (err) => this.markDegraded(err),
    });
    for (const [name, conn] of [
      ['publisher', this.pub],
      ['subscriber', this.sub],
    ] as const) {
      conn.on('error', (err) => this.o.logger.debug({ err: err.message, conn: name }, 'redis connection error'));
      conn.on('close', () => this.markDegraded(new Error(`${name} connection closed`)));
      conn.on('ready', () => void this.recover());
    }
    this.sub.on('message', (_channel: string, message: string) => this.receive(message));
  }

  /** Connects both connections and subscribes; fails with a clear message when Redis cannot be reached. */
  async start(): Promise<void> {
    try {
      await Promise.all([this.pub.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.channel);
      await this.presence.heartbeat();
      await this.publishLoad();
    } catch (err) {
      this.pub.disconnect();
      this.sub.disconnect();
      throw new Error(`REDIS_URL: cannot reach Redis (${(err as Error).message})`);
    }
    this.started = true;
    this.degraded = false;
    const every = Math.max(200, Math.floor(this.o.presenceTtlMs / 3));
    this.heartbeat = setInterval(() => void this.tick(), every);
    this.heartbeat.unref();
  }

  publish(d: Delivery): void {
    for (const h of this.deliveryHandlers) h(d);
    const header: Header = { u: d.userIds as string[] };
    if (d.exceptSessionId) header.x = d.exceptSessionId;
    if (d.ts !== undefined) header.t = d.ts;
    this.m?.published.delivery.inc();
    this.enqueue(header, d.payload);
  }

  onDelivery(handler: DeliveryHandler): void {
    this.deliveryHandlers.push(handler);
  }

  setLocalOnline(userId: string, online: boolean): void {
    this.presence.setLocal(userId, online);
  }

  isOnline(userIds: readonly string[]): Promise<Map<string, boolean>> {
    return this.presence.isOnline(userIds);
  }

  onPresence(handler: PresenceHandler): void {
    this.presenceHandlers.push(handler);
  }

  broadcast(e: BusEvent): void {
    this.m?.published.event.inc();
    this.enqueue({ e }, '');
  }

  onEvent(handler: BusEventHandler): void {
    this.eventHandlers.push(handler);
  }

  onRecovered(handler: () => void): void {
    this.recoveredHandlers.push(handler);
  }

  setLoadSource(read: LoadSource): void {
    this.load = read;
  }

  /** Live nodes (those in `nodes` whose `load:<node>` has not expired); this node's figures are read now. */
  async nodeLoads(): Promise<NodeLoad[]> {
    const mine: NodeLoad = { node: this.nodeId, ...this.load(), at: Date.now() };
    const nodes = (await this.pub.smembers(this.key('nodes'))).filter((n) => n !== this.nodeId).sort();
    const raw = nodes.length ? await this.pub.mget(nodes.map((n) => this.key(`load:${n}`))) : [];
    const others = raw.flatMap((v, i) => (v ? [{ node: nodes[i]!, ...(JSON.parse(v) as Omit<NodeLoad, 'node'>) }] : []));
    return [mine, ...others];
  }

  private key(k: string): string {
    return this.o.prefix + k;
  }

  /** Publishes this node's load next to its heartbeat, expiring with it. */
  private async publishLoad(): Promise<void> {
    await this.pub.set(this.key(`load:${this.nodeId}`), JSON.stringify({ ...this.load(), at: Date.now() }), 'PX', this.o.presenceTtlMs);
  }

  async ping(): Promise<void> {
    await this.pub.ping();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.flush();
    await this.presence.leave().catch(() => {});
    await this.pub.del(this.key(`load:${this.nodeId}`)).catch(() => {});
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
    this.deliveryHandlers = [];
    this.presenceHandlers = [];
    this.eventHandlers = [];
    this.recoveredHandlers = [];
  }

  /** A user's first session anywhere opened, or last one anywhere closed: every node's watchers hear it. */
  private announcePresence(userId: string, online: boolean): void {
    for (const h of this.presenceHandlers) h(userId, online);
    this.m?.published.presence.inc();
    this.enqueue({ p: userId, o: online ? 1 : 0 }, '');
  }

  private enqueue(header: Header, payload: string): void {
    this.batch.push(`${JSON.stringify(header)}\n${payload}`);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends this turn's records as one PUBLISH; while Redis is away they are dropped (clients sync afterwards). */
  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    if (this.pub.status !== 'ready') {
      this.m?.publishErrors.inc();
      this.markDegraded(new Error(`publisher is ${this.pub.status}`));
      return;
    }
    this.pub.publish(this.channel, `${this.nodeId} ${Date.now()}\n${records.join('\n')}`).catch((err: Error) => {
      this.m?.publishErrors.inc();
      this.markDegraded(err);
    });
  }

  private receive(message: string): void {
    const nl = message.indexOf('\n');
    if (nl < 0) return;
    const sp = message.indexOf(' ');
    const from = sp >= 0 && sp < nl ? message.slice(0, sp) : message.slice(0, nl);
    if (from === this.nodeId) return;
    if (this.m && sp >= 0 && sp < nl) {
      const sent = Number(message.slice(sp + 1, nl));
      if (Number.isFinite(sent)) this.m.lag.observe(Math.max(0, Date.now() - sent) / 1000);
    }
    const lines = message.slice(nl + 1).split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      let h: Header;
      try {
        h = JSON.parse(lines[i]!) as Header;
      } catch {
        this.o.logger.error({ line: lines[i]!.slice(0, 200) }, 'bus: unreadable record from another node; ignored');
        continue;
      }
      if ('u' in h) {
        this.m?.received.delivery.inc();
        const d: Delivery = { userIds: h.u, payload: lines[i + 1]!, remote: true };
        if (h.x) d.exceptSessionId = h.x;
        if (h.t !== undefined) d.ts = h.t;
        for (const fn of this.deliveryHandlers) fn(d);
      } else if ('p' in h) {
        this.m?.received.presence.inc();
        for (const fn of this.presenceHandlers) fn(h.p, h.o === 1);
      } else if ('e' in h) {
        this.m?.received.event.inc();
        for (const fn of this.eventHandlers) fn(h.e);
      } else if ('r' in h) {
        this.m?.received.recovered.inc();
        this.notifyRecovered();
      }
    }
  }

  private markDegraded(err: Error): void {
    if (!this.started || this.closing || this.degraded) return;
    this.degraded = true;
    this.m?.degraded.set(1);
    this.o.logger.warn(
      { err: err.message },
      'Redis unreachable: this node delivers to its own sockets only; its clients will be told to sync when Redis is back',
    );
  }

  private async tick(): Promise<void> {
    if (this.degraded) return this.recover();
    await this.presence.heartbeat().catch((err: Error) => this.markDegraded(err));
    await this.publishLoad().catch((err: Error) => this.markDegraded(err));
  }

  /**
   * Once both connections are back: subscribe again, write this node's presence again
   * (Redis may have lost it), then tell every node — this one included — that deliveries
   * may have been missed, so each tells its clients to sync and drops its caches.
   */
  private async recover(): Promise<void> {
    if (!this.started || this.closing || !this.degraded || this.recovering) return;
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    this.recovering = true;
    try {
      await this.sub.subscribe(this.channel);
      await this.presence.reassert();
      this.degraded = false;
      this.m?.degraded.set(0);
      this.o.logger.info('Redis is back: clients on every node are told to sync');
      this.m?.published.recovered.inc();
      this.enqueue({ r: 1 }, '');
      this.notifyRecovered();
    } catch (err) {
      this.o.logger.debug({ err: (err as Error).message }, 'redis recovery attempt failed');
    } finally {
      this.recovering = false;
    }
  }

  private notifyRecovered(): void {
    for (const h of this.recoveredHandlers) h();
  }
}
