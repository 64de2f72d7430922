/**
 * Redis for tests: the local service (MINIIM_TEST_REDIS_URL, default 127.0.0.1:6379) with a
 * random key prefix per call, whose keys are deleted after the test (other runs share the
 * service: never FLUSHALL). Without Redis the caller skips LOUDLY — and fails instead when
 * MINIIM_REQUIRE_SERVICES=1 (CI).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisBus } from '../../src/cluster/redis-bus.js';
import { createLogger } from '../../src/logger.js';
import { deleteRedisKeys } from './redis-keys.js';
import { onCleanup } from './server.js';

export const REDIS_URL = process.env.MINIIM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let reachable: Promise<boolean> | undefined;

/** Whether Redis answers; throws under MINIIM_REQUIRE_SERVICES=1 when it does not. */
export function redisAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await r.connect();
      await r.ping();
      return true;
    } catch (e) {
      const line = `Redis at ${REDIS_URL} is unreachable (${(e as Error).message})`;
      if (process.env.MINIIM_REQUIRE_SERVICES === '1') throw new Error(`MINIIM_REQUIRE_SERVICES=1 and ${line}`);
      process.stderr.write(`\n!!!!! SKIPPING Redis tests: ${line}. Set MINIIM_REQUIRE_SERVICES=1 to fail instead. !!!!!\n\n`);
      return false;
    } finally {
      r.disconnect();
    }
  })();
  return reachable;
}

/** A fresh key prefix whose keys are deleted after the current test. */
export function freshRedisPrefix(url = REDIS_URL): string {
  const prefix = `miniim_t_${randomBytes(5).toString('hex')}:`;
  // The test's own Redis may be gone (a chaos test killed it): nothing left to delete there.
  onCleanup(() => deleteRedisKeys(url, prefix).catch(() => {}));
  return prefix;
}

/** Nodes of one cluster: a fresh key prefix per test, so runs sharing the Redis never meet. */
export async function redisNodes(n: number, opts: { url?: string; presenceTtlMs?: number; prefix?: string } = {}): Promise<RedisBus[]> {
  const prefix = opts.prefix ?? freshRedisPrefix(opts.url);
  const out: RedisBus[] = [];
  for (let i = 0; i < n; i++) {
    const bus = new RedisBus({ url: opts.url ?? REDIS_URL, prefix, presenceTtlMs: opts.presenceTtlMs ?? 5000, logger: createLogger('silent') });
    await bus.start();
    onCleanup(() => bus.close());
    out.push(bus);
  }
  return out;
}

/** Kills this node's own Redis connections (found by their names), as a Redis restart would. */
export async function dropConnections(bus: RedisBus): Promise<void> {
  const admin = new Redis(REDIS_URL);
  try {
    const list = (await admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((l) => l.includes(`name=miniim-pub-${bus.nodeId}`) || l.includes(`name=miniim-sub-${bus.nodeId}`))
      .map((l) => /id=(\d+)/.exec(l)![1]!);
    if (ids.length !== 2) throw new Error(`expected the node's 2 connections, found ${ids.length}`);
    for (const id of ids) await admin.client('KILL', 'ID', id);
  } finally {
    admin.disconnect();
  }
}
