/** Chooses the bus and shared-state implementations from config, in one place: REDIS_URL set → Redis. */
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { BusMetrics } from '../metrics/metrics.js';
import type { Bus } from './bus.js';
import { LocalBus } from './local-bus.js';
import { LocalSharedState, type SharedState } from './shared-state.js';

export async function createCluster(config: Config, logger: Logger, metrics?: BusMetrics): Promise<{ bus: Bus; shared: SharedState }> {
  if (!config.redisUrl) return { bus: new LocalBus(), shared: new LocalSharedState() };
  // Imported only when used: ioredis costs a single-node deployment about 2 MB of RSS.
  const [{ RedisBus }, { RedisSharedState }] = await Promise.all([import('./redis-bus.js'), import('./redis-shared-state.js')]);
  const bus = new RedisBus({ url: config.redisUrl, prefix: config.redisPrefix, presenceTtlMs: config.presenceTtlMs, logger, metrics });
  await bus.start();
  const shared = new RedisSharedState({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    nodeId: bus.nodeId,
    maxSocketsPerUser: config.maxSocketsPerUser,
    logger,
  });
  try {
    await shared.start();
  } catch (err) {
    await bus.close();
    throw err;
  }
  return { bus, shared };
}
