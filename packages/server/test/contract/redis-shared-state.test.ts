/**
 * Shared state in Redis (cluster/redis-shared-state.ts): token buckets shared by the nodes,
 * the per-user socket ledger (oldest over the cap, wherever it is; entries of dead nodes
 * struck), values and locks with compare-and-delete; and with Redis unreachable, per-node
 * answers and one log line rather than refused service.
 */
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisSharedState } from '../../src/cluster/redis-shared-state.js';
import { createLogger } from '../../src/logger.js';
import { freshRedisPrefix, REDIS_URL, redisAvailable } from '../support/redis.js';
import { onCleanup } from '../support/server.js';

const available = await redisAvailable();

/** `n` nodes' shared state on one prefix; node i is alive (heartbeat key present) unless `dead` names it. */
async function nodes(n: number, opts: { cap?: number; dead?: number[]; logs?: string[] } = {}) {
  const prefix = freshRedisPrefix();
  const admin = new Redis(REDIS_URL);
  onCleanup(async () => void admin.disconnect());
  const out: RedisSharedState[] = [];
  for (let i = 0; i < n; i++) {
    const nodeId = `n${i}x${prefix.slice(-6, -1)}`;
    if (!opts.dead?.includes(i)) await admin.set(`${prefix}node:${nodeId}`, '1', 'PX', 60_000);
    const sink = new Writable({
      write(chunk, _enc, done) {
        opts.logs?.push(String(chunk));
        done();
      },
    });
    const s = new RedisSharedState({ url: REDIS_URL, prefix, nodeId, maxSocketsPerUser: opts.cap ?? 3, logger: createLogger('info', sink) });
    await s.start();
    onCleanup(() => s.close());
    out.push(s);
  }
  return { nodes: out, prefix, admin };
}

describe.skipIf(!available)('redis shared state', () => {
  it('a token bucket is shared by the nodes: burst 6 at 1/s allows 6 in total, not 6 per node', async () => {
    const { nodes: ns } = await nodes(3);
    const limiters = ns.map((s) => s.limiter('send', 1, 6));
    const waits = await Promise.all(Array.from({ length: 18 }, (_, i) => limiters[i % 3]!.take('alice')));
    expect(waits.filter((w) => w === 0)).toHaveLength(6);
    expect(Math.min(...waits.filter((w) => w > 0))).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1000);
    // Other keys have their own bucket; a disabled limiter never limits.
    expect(await limiters[0]!.take('bob')).toBe(0);
    const off = ns[0]!.limiter('send', 1, 1, false);
    for (let i = 0; i < 5; i++) expect(await off.take('alice')).toBe(0);
  });

  it('the socket ledger names the oldest sockets over the cap on any node, and strikes entries of dead nodes', async () => {
    const { nodes: ns } = await nodes(3, { cap: 3, dead: [2] });
    const [a, b, dead] = ns;
    expect(await dead!.sockets.opened('u', 'gone', 1)).toEqual([]);
    expect(await a!.sockets.opened('u', 's1', 10)).toEqual([]);
    expect(await a!.sockets.opened('u', 's2', 20)).toEqual([]);
    // Four entries, but one is of a dead node: it is struck, nothing live is over the cap.
    expect(await b!.sockets.opened('u', 's3', 30)).toEqual([]);
    expect(await b!.sockets.opened('u', 's4', 40)).toEqual(['s1']);
    a!.sockets.closed('u', 's1'); // already struck: harmless
    b!.sockets.closed('u', 's3');
    await new Promise((r) => setTimeout(r, 50)); // closed() is not awaited; b's connection is not a's
    expect(await a!.sockets.opened('u', 's5', 50)).toEqual([]);
    expect(await a!.sockets.opened('u', 's6', 60)).toEqual(['s2']);
    expect(await a!.sockets.opened('u', 's7', 70)).toEqual(['s4']);
  });

  it('values expire and are deleted only while they hold the given value; a lock has one holder and is released by compare-and-delete', async () => {
    const { nodes: ns } = await nodes(2);
    const [a, b] = ns;
    await a!.values.set('k', 'v1', 10_000);
    expect(await b!.values.get('k')).toBe('v1');
    await b!.values.deleteIf('k', 'other');
    expect(await a!.values.get('k')).toBe('v1');
    await b!.values.deleteIf('k', 'v1');
    expect(await a!.values.get('k')).toBeUndefined();
    await a!.values.set('short', 'x', 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(await b!.values.get('short')).toBeUndefined();

    const held = await a!.values.lock('refresh', 10_000);
    expect(held).toBeDefined();
    expect(await b!.values.lock('refresh', 10_000)).toBeUndefined();
    await held!.release();
    const next = await b!.values.lock('refresh', 10_000);
    expect(next).toBeDefined();
    await held!.release(); // a stale holder cannot release the new holder's lock
    expect(await a!.values.lock('refresh', 10_000)).toBeUndefined();
    await next!.release();
  });

  it('Redis unreachable: limits answer per node, the ledger answers nothing, the fallback is logged once; shared again once it answers', async () => {
    const logs: string[] = [];
    const { nodes: ns, admin } = await nodes(1, { logs });
    const s = ns[0]!;
    const limiter = s.limiter('auth-ip', 1, 2);
    expect(await limiter.take('ip')).toBe(0);
    expect(await limiter.take('ip')).toBe(0);
    expect(await limiter.take('ip')).toBeGreaterThan(0); // shared bucket empty
    const list = (await admin.client('LIST')) as string;
    const id = /id=(\d+)[^\n]*name=miniim-state-/.exec(list)![1]!;
    await admin.client('KILL', 'ID', id);
    await new Promise((r) => setTimeout(r, 20));
    // The per-node bucket starts full: service goes on without Redis.
    const during = [await limiter.take('ip'), await limiter.take('ip'), await limiter.take('ip')];
    expect(during.slice(0, 2)).toEqual([0, 0]);
    expect(during[2]).toBeGreaterThan(0);
    expect(await s.sockets.opened('u', 's1', 1)).toEqual([]);
    const warned = logs.filter((l) => l.includes('rate limits and the socket cap are per node'));
    expect(warned).toHaveLength(1);
    // ioredis reconnects; the next answers are shared again.
    const t0 = Date.now();
    while (!logs.some((l) => l.includes('shared by the cluster again'))) {
      if (Date.now() - t0 > 5000) throw new Error('never shared again');
      await limiter.take('other');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await limiter.take('ip')).toBeGreaterThan(0); // the shared bucket is still empty
  });
});
