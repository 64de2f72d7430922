/**
 * The Redis bus when things break: a node that dies without a goodbye has its users read
 * offline within the TTL; a dropped connection leaves local delivery working and, once
 * back, tells every node that deliveries may have been missed.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { dropConnections, redisAvailable, redisNodes } from '../support/redis.js';
import { until } from './bus-contract.js';

const available = await redisAvailable();

describe.skipIf(!available)('redis bus failures', () => {
  it('a node that stops heartbeating: its users read offline within the TTL and watchers hear it', async () => {
    const [a, b] = await redisNodes(2, { presenceTtlMs: 1000 });
    const seen: Array<[string, boolean]> = [];
    b!.onPresence((u, on) => seen.push([u, on]));
    a!.setLocalOnline('crash1', true);
    await until(async () => (await b!.isOnline(['crash1'])).get('crash1') === true);
    // A SIGKILL: no goodbye, no more heartbeats.
    const dying = a as unknown as { heartbeat: NodeJS.Timeout; pub: Redis; sub: Redis };
    clearInterval(dying.heartbeat);
    dying.pub.disconnect();
    dying.sub.disconnect();
    const t0 = Date.now();
    await until(async () => (await b!.isOnline(['crash1'])).get('crash1') === false, 5000);
    expect(Date.now() - t0).toBeLessThan(3000);
    await until(() => seen.some(([u, on]) => u === 'crash1' && !on), 3000);
  });

  it('connections dropped: local delivery goes on; once back, every node is told to resync', async () => {
    const [a, b] = await redisNodes(2);
    const recovered = [0, 0];
    a!.onRecovered(() => recovered[0]!++);
    b!.onRecovered(() => recovered[1]!++);
    const local: string[] = [];
    b!.onDelivery((d) => local.push(d.payload));
    await dropConnections(b!);
    b!.publish({ userIds: ['u'], payload: '{"during":1}' });
    expect(local).toEqual(['{"during":1}']);
    await until(() => recovered[0]! >= 1 && recovered[1]! >= 1, 5000);
    // And cross-node delivery works again.
    const fromB: string[] = [];
    a!.onDelivery((d) => fromB.push(d.payload));
    b!.publish({ userIds: ['u'], payload: '{"after":1}' });
    await until(() => fromB.includes('{"after":1}'));
  });
});
