/**
 * Shared state in Redis (see shared-state.ts): token buckets, the per-user socket ledger,
 * values with expiry and locks. Each answer is one Lua script or command, auto-pipelined
 * with the others of the same event-loop turn. When Redis cannot answer (down, or slower
 * than COMMAND_TIMEOUT_MS) every call falls back to this node's own answer — a per-node
 * bucket, the gateway's per-node cap — and the fallback is logged once until Redis answers
 * again.
 *
 * Keys (under the prefix):
 *   rl:<name>:<key>   hash {t: tokens, a: ms} of a token bucket (expires when it would be full)
 *   sk:<userId>       zset of "<nodeId>:<sessionId>" scored by open time (the socket cap)
 *   v:<key>           a value with expiry; lock:<key> a lock holding its owner's random token
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { localLimiter, type SharedLimiter } from '../core/rate-limiter.js';
import type { Logger } from '../logger.js';
import type { SharedLock, SharedState, SharedValues, SocketLedger } from './shared-state.js';

/** A shared answer slower than this is not waited for (the node answers alone). */
const COMMAND_TIMEOUT_MS = 500;
/** A user's socket ledger outlives its last change by this much (entries of vanished nodes go with it). */
const LEDGER_TTL_MS = 24 * 3600_000;

/** Token bucket; Redis's clock, so the nodes' clocks need not agree. Returns the ms to wait (0: allowed). */
const TAKE = `
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = tonumber(v[1])
if tokens == nil then tokens = burst else tokens = math.min(burst, tokens + math.max(0, now - tonumber(v[2])) * rate) end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'a', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return wait`;

/**
 * Adds a socket to the user's ledger; strikes entries of nodes whose heartbeat expired
 * (ARGV[4] .. nodeId), then returns (and strikes) the oldest live ones over the cap.
 */
const OPEN = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local cap = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) <= cap then return {} end
local live = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local node = string.match(m, '^([^:]+):')
  if node and redis.call('EXISTS', ARGV[4] .. node) == 1 then table.insert(live, m) else redis.call('ZREM', KEYS[1], m) end
end
local out = {}
for i = 1, #live - cap do
  redis.call('ZREM', KEYS[1], live[i])
  table.insert(out, live[i])
end
return out`;

const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

type Scripted = Redis & {
  miniimTake(key: string, rate: number, burst: number): Promise<number>;
  miniimOpen(key: string, member: string, at: number, cap: number, nodePrefix: string, ttlMs: number): Promise<string[]>;
  miniimDeleteIf(key: string, value: string): Promise<number>;
};

export interface RedisSharedStateOptions {
  url: string;
  prefix: string;
  /** The bus's node id: ledger entries name it, and its heartbeat key (`node:<id>`) says it is alive. */
  nodeId: string;
  /** Most sockets per user across the cluster. */
  maxSocketsPerUser: number;
  logger: Logger;
}

export class RedisSharedState implements SharedState {
  readonly kind = 'redis';
  readonly sockets: SocketLedger;
  readonly values: SharedValues;
  private readonly redis: Scripted;
  /** Redis failed to answer and this node answers alone, until a command succeeds again. */
  private fallback = false;

  constructor(private readonly o: RedisSharedStateOptions) {
    this.redis = new Redis(o.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      enableAutoPipelining: true,
      connectTimeout: 3000,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
      connectionName: `miniim-state-${o.nodeId}`,
    }) as Scripted;
    this.redis.defineCommand('miniimTake', { numberOfKeys: 1, lua: TAKE });
    this.redis.defineCommand('miniimOpen', { numberOfKeys: 1, lua: OPEN });
    this.redis.defineCommand('miniimDeleteIf', { numberOfKeys: 1, lua: DELETE_IF });
    this.redis.on('error', (err) => o.logger.debug({ err: err.message }, 'redis state connection error'));
    this.sockets = this.ledger();
    this.values = this.sharedValues();
  }

  async start(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`REDIS_URL: cannot reach Redis (${(err as Error).message})`);
    }
  }

  limiter(name: string, ratePerSec: number, burst: number, enabled = true): SharedLimiter {
    const fallback = localLimiter(ratePerSec, burst, enabled);
    if (!enabled) return fallback;
    const prefix = `${this.o.prefix}rl:${name}:`;
    return {
      take: async (key) => {
        const wait = await this.shared(() => this.redis.miniimTake(prefix + key, ratePerSec, burst));
        return wait ?? fallback.local.take(key);
      },
    };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private ledger(): SocketLedger {
    const key = (userId: string) => `${this.o.prefix}sk:${userId}`;
    const me = this.o.nodeId;
    return {
      opened: async (userId, sessionId, openedAt) => {
        const over = await this.shared(() =>
          this.redis.miniimOpen(key(userId), `${me}:${sessionId}`, openedAt, this.o.maxSocketsPerUser, `${this.o.prefix}node:`, LEDGER_TTL_MS),
        );
        return (over ?? []).map((m) => m.slice(m.indexOf(':') + 1));
      },
      closed: (userId, sessionId) => {
        void this.shared(() => this.redis.zrem(key(userId), `${me}:${sessionId}`));
      },
      reassert: async (sockets) => {
        const m = this.redis.multi();
        for (const s of sockets) m.zadd(key(s.userId), s.openedAt, `${me}:${s.sessionId}`).pexpire(key(s.userId), LEDGER_TTL_MS);
        await this.shared(() => m.exec());
      },
    };
  }

  private sharedValues(): SharedValues {
    const k = (key: string) => `${this.o.prefix}v:${key}`;
    const r = this.redis;
    return {
      get: async (key) => (await r.get(k(key))) ?? undefined,
      set: async (key, value, ttlMs) => {
        await r.set(k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
      },
      deleteIf: async (key, value) => {
        await r.miniimDeleteIf(k(key), value);
      },
      lock: async (key, ttlMs): Promise<SharedLock | undefined> => {
        const lockKey = `${this.o.prefix}lock:${key}`;
        const mine = randomBytes(12).toString('base64url');
        if ((await r.set(lockKey, mine, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
        return {
          release: async () => {
            await r.miniimDeleteIf(lockKey, mine);
          },
        };
      },
    };
  }

  /** Runs a Redis call; undefined (after logging the fallback once) when Redis cannot answer. */
  private async shared<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (this.redis.status !== 'ready') return this.failed(new Error(`connection is ${this.redis.status}`));
    try {
      const out = await fn();
      if (this.fallback) {
        this.fallback = false;
        this.o.logger.info('Redis answers again: rate limits and the socket cap are shared by the cluster again');
      }
      return out;
    } catch (err) {
      return this.failed(err as Error);
    }
  }

  private failed(err: Error): undefined {
    if (!this.fallback) {
      this.fallback = true;
      this.o.logger.warn({ err: err.message }, 'Redis unreachable: rate limits and the socket cap are per node until it answers again');
    }
    return undefined;
  }
}
