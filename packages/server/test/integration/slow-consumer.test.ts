/**
 * A client that stops reading cannot grow the server's memory: pushes and replies to its
 * own requests count against one bound, over it the socket is closed with 1013 (which the
 * client receives once it reads again), later requests are not executed, and the close is
 * counted once. The memory itself is measured on a server in its own process (RSS from
 * /proc/<pid>/status), so the test's own allocations do not blur it.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { rssMb, spawnServer } from '../support/process.js';
import { httpJson, startServer, TestClient, type TestServer, tempDir, until } from '../support/server.js';

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

  it('a server process stays within its memory bound while a client that stops reading asks for 2 MB history pages', async () => {
    const p = await spawnServer({ MINIIM_DATA_DIR: tempDir(), MINIIM_RATE_LIMITS: 'off' });
    const login = async (userId: string) => (await httpJson(p.url, 'POST', '/api/auth/dev', { body: { userId } })).body.token as string;
    const ta = await login('alice');
    const tb = await login('bob');
    const text = '消'.repeat(5000); // 15 KB of UTF-8: a page of 100 is ~1.5 MB
    for (let i = 0; i < 100; i++) {
      const r = await httpJson(p.url, 'POST', '/api/messages', { token: ta, body: { to: 'u:bob', clientMsgId: `big${i}`, kind: 'text', body: { text } } });
      expect(r.status).toBe(200);
    }
    const bob = await TestClient.connect(`${p.url.replace('http', 'ws')}/ws?token=${tb}`);
    const pid = p.child.pid!;
    const before = rssMb(pid);
    rawSocket(bob).pause();
    // 300 pages ≈ 450 MB of replies if they were all queued (the defect grew a server to 1.77 GB).
    for (let i = 0; i < 300; i++) bob.send({ op: 'history', rid: `h${i}`, conv: 'd:alice:bob', limit: 100 });
    let peak = before;
    const end = Date.now() + 8000;
    while (Date.now() < end) {
      peak = Math.max(peak, rssMb(pid));
      await new Promise((r) => setTimeout(r, 100));
    }
    rawSocket(bob).resume();
    expect(await bob.waitClose(15_000)).toBe(1013);
    console.log(`[slow-consumer] server RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB (bound 8 MiB per socket)`);
    expect(peak - before).toBeLessThan(150);
    // The server is still there for others.
    const alice = await TestClient.connect(`${p.url.replace('http', 'ws')}/ws?token=${ta}`);
    expect(await alice.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
  }, 90_000);
});
