/**
 * Per-user limits hold across the nodes of a cluster (counted in Redis): the socket cap
 * closes the user's oldest socket with 4409 even when it lives on the other node, the send
 * rate is one budget for the user on every node, and the login routes' rates are too.
 */
import { describe, expect, it } from 'vitest';
import { startCluster } from '../support/cluster.js';
import { serviceAvailable } from '../support/databases.js';
import { redisAvailable } from '../support/redis.js';
import { until } from '../support/server.js';

const available = (await serviceAvailable('postgres')) && (await redisAvailable());

describe.skipIf(!available)('per-user limits across nodes', () => {
  it('the socket cap counts every node: a 4th socket on node b closes the oldest, on node a, with 4409 (kicked replaced)', async () => {
    const [a, b] = await startCluster(2, { maxSocketsPerUser: 3 });
    const token = await a!.login('alice');
    const oldest = await a!.connect(token);
    const second = await a!.connect(token);
    const third = await b!.connect(token);
    const newest = await b!.connect(token);
    expect(await oldest.waitClose(3000)).toBe(4409);
    expect(oldest.frames.at(-1)).toEqual({ op: 'kicked', reason: 'replaced' });
    for (const c of [second, third, newest]) expect(await c.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
    const open = () => [a!, b!].flatMap((n) => [...n.server.gateway.sessions.all()]).filter((s) => !s.closing).length;
    await until(() => open() === 3);
    // And again from node a: the oldest left (second, on a) goes.
    const fifth = await a!.connect(token);
    expect(await second.waitClose(3000)).toBe(4409);
    for (const c of [third, newest, fifth]) expect(await c.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
  });

  it('the send rate is one budget per user on every node', async () => {
    const [a, b] = await startCluster(2, { socketFramesPerSec: 5 });
    await a!.login('bob');
    const token = await a!.login('alice');
    const onA = await a!.connect(token);
    const onB = await b!.connect(token);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? onA : onB).request({ op: 'send', to: 'u:bob', clientMsgId: `m${i}`, kind: 'text', body: { text: 'x' } })),
    );
    const acks = replies.filter((r) => r.op === 'ack').length;
    const limited = replies.filter((r) => r.op === 'error' && r.code === 'rate_limited');
    expect(acks).toBeGreaterThanOrEqual(10);
    expect(acks).toBeLessThanOrEqual(11); // burst 2 × 5 in total (plus refill while sending), not per node
    expect(limited[0]!.retryAfterMs).toBeGreaterThan(0);
  });

  it('the login routes are limited per user across nodes (429 with retryAfterMs)', async () => {
    const [a, b] = await startCluster(2);
    let token = await a!.login('carol');
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      const r = await (i % 2 ? a! : b!).http('POST', '/api/auth/refresh', { token });
      statuses.push(r.status);
      if (r.status === 200) token = r.body.token;
    }
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(10);
    expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(11);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(5);
  });
});
