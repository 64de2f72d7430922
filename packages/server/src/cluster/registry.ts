/** Chooses the bus implementation from config, in one place: REDIS_URL set → the Redis bus. */
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { Bus } from './bus.js';
import { LocalBus } from './local-bus.js';
import { RedisBus } from './redis-bus.js';

export async function createBus(config: Config, logger: Logger): Promise<Bus> {
  if (!config.redisUrl) return new LocalBus();
  const bus = new RedisBus({ url: config.redisUrl, prefix: config.redisPrefix, presenceTtlMs: config.presenceTtlMs, logger });
  await bus.start();
  return bus;
}
