/**
 * Two in-process nodes on one PostgreSQL database and one Redis behave as one server:
 * tokens, direct and group messages, own-device sync, recall, read, typing, presence and
 * membership changes cross nodes; a resend through the other node is deduplicated; both
 * nodes appending to one conversation keep its seqs gap-free.
 */
import { describe, expect, it } from 'vitest';
import type { RedisBus } from '../../src/cluster/redis-bus.js';
import { startCluster } from '../support/cluster.js';
import { serviceAvailable } from '../support/databases.js';
import { dropConnections, redisAvailable } from '../support/redis.js';
import { until } from '../support/server.js';

const available = (await serviceAvailable('postgres')) && (await redisAvailable());
const text = (t: string) => ({ kind: 'text', body: { text: t } });

describe.skipIf(!available)('cluster of two nodes', () => {
  it('direct chat, own-device sync, recall, read, typing and presence cross nodes; a resend via the other node is deduplicated', async () => {
    const [a, b] = await startCluster(2);
    const tokAlice = await a!.login('alice');
    const tokBob = await b!.login('bob');
    const alice = await a!.connect(tokAlice);
    const alice2 = await b!.connect(tokAlice); // alice's second device, on the other node
    const bob = await b!.connect(tokBob);
    const watch = await bob.request({ op: 'presence', users: ['alice', 'carol'], watch: true });
    expect(watch.online).toEqual({ alice: true, carol: false });

    const ack = await alice.request({ op: 'send', to: 'u:bob', clientMsgId: 'c1', ...text('你好 across') });
    expect(ack.msg).toMatchObject({ seq: 1, from: 'alice' });
    expect((await bob.waitFor((f) => f.op === 'msg')).msg).toEqual(ack.msg);
    expect((await alice2.waitFor((f) => f.op === 'msg')).msg).toEqual(ack.msg);

    const again = await alice2.request({ op: 'send', to: 'u:bob', clientMsgId: 'c1', ...text('你好 across') });
    expect(again.msg).toEqual(ack.msg);

    await bob.request({ op: 'read', conv: ack.msg.conv, seq: 1 });
    await alice.waitFor((f) => f.op === 'read' && f.user === 'bob' && f.seq === 1);
    bob.send({ op: 'typing', to: 'u:alice' });
    await alice.waitFor((f) => f.op === 'typing' && f.user === 'bob');
    await alice.request({ op: 'recall', conv: ack.msg.conv, seq: 1 });
    await bob.waitFor((f) => f.op === 'recalled' && f.seq === 1);

    alice.close();
    alice2.close();
    await bob.waitFor((f) => f.op === 'presence' && f.user === 'alice' && f.online === false);
    const h = await bob.request({ op: 'history', conv: ack.msg.conv });
    expect(h.messages.map((m: any) => m.seq)).toEqual([1]);
  });

  it('a member removed via one node is refused by the other at once; groups fan out across nodes', async () => {
    const [a, b] = await startCluster(2);
    const tok: Record<string, string> = {};
    for (const u of ['owner', 'm1', 'm2']) tok[u] = await a!.login(u);
    const g = await a!.http('POST', '/api/groups', { token: tok.owner, body: { name: '群', members: ['m1', 'm2'] } });
    const conv = `g:${g.body.id}`;
    const m1 = await b!.connect(tok.m1!);
    const m2 = await b!.connect(tok.m2!);
    // Node b caches the member list by sending through it.
    expect((await m1.request({ op: 'send', to: conv, clientMsgId: 'x1', ...text('hi') })).op).toBe('ack');
    await m2.waitFor((f) => f.op === 'msg' && f.msg.from === 'm1');
    const removed = await a!.http('DELETE', `/api/groups/${g.body.id}/members/m1`, { token: tok.owner });
    expect(removed.status).toBe(200);
    // The invalidation travels in the same turn as the commit's fan-out: once m2 (on b) has the system message, b has dropped its copy.
    await m2.waitFor((f) => f.op === 'msg' && f.msg.body?.event === 'member_left');
    const refused = await m1.request({ op: 'send', to: conv, clientMsgId: 'x2', ...text('still here?') });
    expect(refused).toMatchObject({ op: 'error', code: 'forbidden' });
  });

  it('both nodes appending to one conversation at once keep its seqs gap-free', async () => {
    const [a, b] = await startCluster(2);
    const tokP = await a!.login('p');
    const tokQ = await b!.login('q');
    const p = await a!.connect(tokP);
    const q = await b!.connect(tokQ);
    const sends = [];
    for (let i = 0; i < 40; i++) {
      sends.push(p.request({ op: 'send', to: 'u:q', clientMsgId: `p${i}`, ...text(`p${i}`) }));
      sends.push(q.request({ op: 'send', to: 'u:p', clientMsgId: `q${i}`, ...text(`q${i}`) }));
    }
    const acks = await Promise.all(sends);
    const seqs = acks.map((f) => f.msg.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    // Each side gets the other's 40 messages once.
    await until(() => p.msgs().length === 40 && q.msgs().length === 40);
    expect(new Set(p.msgs().map((m: any) => m.seq)).size).toBe(40);
  });

  it('after a bus outage every client is told to resync, and finds the push it missed meanwhile', async () => {
    const [a, b] = await startCluster(2);
    const tokX = await a!.login('x');
    const tokY = await b!.login('y');
    const x = await a!.connect(tokX);
    const y = await b!.connect(tokY);
    await x.request({ op: 'send', to: 'u:y', clientMsgId: 'm1', ...text('before') });
    await y.waitFor((f) => f.op === 'msg' && f.msg.seq === 1);
    await dropConnections(b!.server.bus as RedisBus);
    // Sent while b cannot hear the bus: committed and acked, but not pushed to y.
    const during = await x.request({ op: 'send', to: 'u:y', clientMsgId: 'm2', ...text('during') });
    expect(during.msg.seq).toBe(2);
    await y.waitFor((f) => f.op === 'resync' && f.reason === 'bus_recovered', 10_000);
    await x.waitFor((f) => f.op === 'resync', 10_000);
    const h = await y.request({ op: 'history', conv: during.msg.conv, after: 1 });
    expect(h.messages.map((m: any) => m.id)).toEqual([during.msg.id]);
  });
});
