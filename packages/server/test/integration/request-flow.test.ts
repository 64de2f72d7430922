/**
 * One socket cannot start unbounded work: at most MAX_RUNNING_PER_SOCKET of its requests
 * run at once; later ones wait while the socket is not read (TCP back-pressure), so the
 * server holds only what it had read before pausing; every request is answered.
 */
import { describe, expect, it } from 'vitest';
import { MAX_RUNNING_PER_SOCKET } from '../../src/gateway/gateway.js';
import { startServer } from '../support/server.js';

describe('requests in flight per socket', () => {
  it('runs a bounded number at once, stops reading the socket while the rest wait, and answers every request', async () => {
    const s = await startServer({ rateLimits: false });
    await s.login('bob');
    const alice = await s.connect(await s.login('alice'));
    expect((await alice.request({ op: 'send', to: 'u:bob', clientMsgId: 'm0', kind: 'text', body: { text: 'hi' } })).op).toBe('ack');
    const session = [...s.server.gateway.sessions.all()].find((x) => x.userId === 'alice')!;
    let running = 0;
    let most = 0;
    let mostHeld = 0;
    const history = s.server.messages.history.bind(s.server.messages);
    s.server.messages.history = async (...args: Parameters<typeof history>) => {
      running++;
      most = Math.max(most, running);
      mostHeld = Math.max(mostHeld, session.requests.size);
      try {
        await new Promise((r) => setTimeout(r, 20));
        return await history(...args);
      } finally {
        running--;
      }
    };
    // 300 frames of 4 KiB (JSON whitespace): 1.2 MB the server would read at once if it did not pause.
    const n = 300;
    const pad = ' '.repeat(4096);
    const replies = Promise.all(Array.from({ length: n }, (_, i) => alice.waitFor((f) => f.rid === `h${i}`, 20_000)));
    for (let i = 0; i < n; i++) alice.sendRaw(`{"op":"history","rid":"h${i}","conv":"d:alice:bob"}${pad}`);
    for (const r of await replies) expect(r).toMatchObject({ op: 'history', messages: [{ seq: 1 }] });
    expect(most).toBe(MAX_RUNNING_PER_SOCKET);
    // Held = running + waiting: what one socket read (64 KiB, 16 frames) can add beyond the running ones, far below 300.
    expect(mostHeld).toBeLessThan(MAX_RUNNING_PER_SOCKET + 64);
    expect(session.requests.size).toBe(0);
    expect(await alice.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
  }, 40_000);
});
