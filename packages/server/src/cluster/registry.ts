/** Chooses the bus implementation from config, in one place. */
import type { Config } from '../config/config.js';
import type { Bus } from './bus.js';
import { LocalBus } from './local-bus.js';

export async function createBus(config: Config): Promise<Bus> {
  if (!config.redisUrl) return new LocalBus();
  throw new Error('REDIS_URL: the Redis bus is not available in this version; unset REDIS_URL to use the in-process bus');
}
