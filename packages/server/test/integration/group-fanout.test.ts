import { describe, expect, it } from 'vitest';
import { startServer, type TestClient, until } from '../support/server.js';

describe('group fan-out at scale', () => {
  it('delivers every message of 20 concurrent senders to all 2,000 online sessions exactly once, in seq order', async () => {
    const N = 2000;
    const s = await startServer({ rateLimits: false, maxGroupSize: 10_000 });
    const ids = Array.from({ length: N }, (_, i) => `u${i}`);
    const tokens: string[] = [];
    for (let i = 0; i < N; i += 100) {
      tokens.push(...(await Promise.all(ids.slice(i, i + 100).map((id) => s.login(id)))));
    }
    const group = await s.http('POST', '/api/groups', { token: tokens[0], body: { name: '大群', members: ids.slice(1) } });
    expect(group.body.memberCount).toBe(N);
    const conv = `g:${group.body.id}`;
    const clients: TestClient[] = [];
    for (let i = 0; i < N; i += 200) {
      clients.push(...(await Promise.all(tokens.slice(i, i + 200).map((t) => s.connect(t)))));
    }

    const senders = clients.slice(0, 20);
    const perSender = 5;
    const acks = await Promise.all(
      senders.flatMap((c, i) =>
        Array.from({ length: perSender }, (_, k) => c.request({ op: 'send', to: conv, clientMsgId: `s${i}-${k}`, kind: 'text', body: { text: `${i}:${k}` } })),
      ),
    );
    expect(acks.every((a) => a.op === 'ack')).toBe(true);
    const total = acks.length;
    const firstSeq = Math.min(...acks.map((a) => a.msg.seq));
    const expectedSeqs = Array.from({ length: total }, (_, i) => firstSeq + i);
    expect(acks.map((a) => a.msg.seq).sort((a, b) => a - b)).toEqual(expectedSeqs);

    const ackedBy = new Map(acks.map((a, idx) => [a.msg.seq, Math.floor(idx / perSender)]));
    const received = (c: TestClient) => c.msgs(conv).filter((m) => m.kind === 'text');
    await until(() => clients.every((c, i) => received(c).length === (i < 20 ? total - perSender : total)), 30_000, 'all deliveries');
    // Let any stray duplicate arrive before checking.
    await Promise.all(clients.slice(0, 50).map((c) => c.request({ op: 'ping' })));
    for (const [i, c] of clients.entries()) {
      const seqs = received(c).map((m) => m.seq);
      const want = i < 20 ? expectedSeqs.filter((q) => ackedBy.get(q) !== i) : expectedSeqs;
      expect(seqs).toEqual(want); // exactly once, ascending
    }
  }, 120_000);
});
