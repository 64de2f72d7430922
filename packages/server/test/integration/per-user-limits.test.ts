/**
 * Per-user caps: sockets per user (oldest closed with 4409), a send rate shared by all of
 * a user's sockets, rates on the login routes (429 with retryAfterMs), dev login from
 * loopback unlimited.
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';

describe('per-user limits', () => {
  it('an 11th socket closes the oldest with 4409 (kicked replaced); 10 stay open', async () => {
    const s = await startServer();
    const token = await s.login('alice');
    const sockets = [];
    for (let i = 0; i < 10; i++) sockets.push(await s.connect(token));
    const newest = await s.connect(token);
    expect(await sockets[0]!.waitClose(2000)).toBe(4409);
    expect(sockets[0]!.frames.at(-1)).toEqual({ op: 'kicked', reason: 'replaced' });
    for (const c of [...sockets.slice(1), newest]) expect(await c.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
    expect([...s.server.gateway.sessions.all()].filter((x) => !x.closing)).toHaveLength(10);
  });

  it('the send rate is per user across sockets, not per socket', async () => {
    const s = await startServer({ socketFramesPerSec: 5 });
    await s.login('bob');
    const token = await s.login('alice');
    const a = await s.connect(token);
    const b = await s.connect(token);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).request({ op: 'send', to: 'u:bob', clientMsgId: `m${i}`, kind: 'text', body: { text: 'x' } })),
    );
    const acks = replies.filter((r) => r.op === 'ack').length;
    const limited = replies.filter((r) => r.op === 'error' && r.code === 'rate_limited');
    expect(acks).toBeLessThanOrEqual(11); // burst of 2 × 5 (plus refill while sending)
    expect(limited.length).toBeGreaterThanOrEqual(8);
    expect(limited[0]!.retryAfterMs).toBeGreaterThan(0);
  });

  it('refresh and logout are rate limited per user (429 with retryAfterMs); dev login from loopback is not', async () => {
    const s = await startServer();
    let token = await s.login('alice');
    const statuses: number[] = [];
    let limited: any;
    for (let i = 0; i < 15; i++) {
      const r = await s.http('POST', '/api/auth/refresh', { token });
      statuses.push(r.status);
      if (r.status === 200) token = r.body.token;
      else limited = r;
    }
    expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(11);
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } } });
    const logins = await Promise.all(Array.from({ length: 200 }, (_, i) => s.http('POST', '/api/auth/dev', { body: { userId: `u${i}` } })));
    expect(logins.every((r) => r.status === 200)).toBe(true);
  });

  it('with rate limits off nothing is limited', async () => {
    const s = await startServer({ rateLimits: false });
    let token = await s.login('alice');
    for (let i = 0; i < 15; i++) {
      const r = await s.http('POST', '/api/auth/refresh', { token });
      expect(r.status).toBe(200);
      token = r.body.token;
    }
  });
});
