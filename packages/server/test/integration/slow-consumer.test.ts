/**
 * A client that stops reading cannot grow the server's memory: pushes and replies to its
 * own requests count against one bound, over it the socket is closed with 1013 (which the
 * client receives once it reads again), later requests are not executed, and the close is
 * counted once.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startServer, type TestClient, type TestServer, until } from '../support/server.js';

const BOUND = 1024 * 1024;
const BIG = 'x'.repeat(5000);

function rawSocket(c: TestClient): Socket {
  return (c.ws as unknown as { _socket: Socket })._socket;
}

async function closesCounted(s: TestServer, code: number): Promise<number> {
  const text = (await s.http('GET', '/metrics')).body as string;
  const m = text.match(new RegExp(`miniim_socket_closes_total\\{code="${code}"\\} (\\d+)`));
  return m ? Number(m[1]) : 0;
}

async function seed(s: TestServer, n: number): Promise<void> {
  const alice = await s.connect(await s.login('alice'));
  await s.login('bob');
  for (let i = 0; i < n; i++) {
    const ack = await alice.request({ op: 'send', to: 'u:bob', clientMsgId: `m${i}`, kind: 'text', body: { text: BIG } });
    expect(ack.op).toBe('ack');
  }
}

describe('slow consumer', () => {
  it('replies to its own requests count: over the bound → 1013 received, later requests not executed, counted once', async () => {
    const s = await startServer({ maxSocketBufferBytes: BOUND, rateLimits: false });
    await seed(s, 100);
    let executed = 0;
    const history = s.server.messages.history.bind(s.server.messages);
    s.server.messages.history = (...args: Parameters<typeof history>) => {
      executed++;
      return history(...args);
    };
    const bob = await s.connect(await s.login('bob'));
    rawSocket(bob).pause();
    const requests = 60; // ~31 MB of replies
    for (let i = 0; i < requests; i++) bob.send({ op: 'history', rid: `h${i}`, conv: 'd:alice:bob', limit: 100 });
    await until(() => [...s.server.gateway.sessions.all()].every((x) => x.userId !== 'bob' || x.closing), 10_000, 'the slow socket closing');
    // Longer than the old 2 s cut-off: the close frame must still be delivered.
    await new Promise((r) => setTimeout(r, 2500));
    for (const x of s.server.gateway.sessions.all()) expect(x.backlog).toBeLessThanOrEqual(BOUND + 64 * 1024);
    rawSocket(bob).resume();
    expect(await bob.waitClose(10_000)).toBe(1013);
    expect(bob.frames.at(-1)).toEqual({ op: 'kicked', reason: 'slow_consumer' });
    expect(executed).toBeLessThan(requests);
    expect(await closesCounted(s, 1013)).toBe(1);
  }, 40_000);

  it('pushes count too: a paused receiver is closed with 1013 once while the sender keeps going', async () => {
    const s = await startServer({ maxSocketBufferBytes: BOUND, rateLimits: false });
    const alice = await s.connect(await s.login('alice'));
    const bob = await s.connect(await s.login('bob'));
    rawSocket(bob).pause();
    // Ten sends in flight at a time: one at a time takes most of the timeout on a network database.
    for (let i = 0; i < 1500; i += 10) {
      const acks = await Promise.all(
        Array.from({ length: 10 }, (_, j) => alice.request({ op: 'send', to: 'u:bob', clientMsgId: `p${i + j}`, kind: 'text', body: { text: BIG } })),
      );
      for (const ack of acks) expect(ack.op).toBe('ack');
    }
    await new Promise((r) => setTimeout(r, 2500));
    rawSocket(bob).resume();
    expect(await bob.waitClose(10_000)).toBe(1013);
    expect(await closesCounted(s, 1013)).toBe(1);
    expect(await alice.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
  }, 40_000);
});
