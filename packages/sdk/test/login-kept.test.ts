/** Restarts and failed refreshes never log anyone out (issue 18.1, protocol-v1 "Which closes end a login"). */
import { describe, expect, it } from 'vitest';
import type { ImClient } from '../src/client.js';
import { createWxClient } from '../src/wx/index.js';
import { connectSynced, makeClient } from './support/clients.js';
import { FakeWx } from './support/fake-wx.js';
import { onCleanup, startServer, type TestServer, until } from './support/server.js';

async function loginFull(s: TestServer, userId: string): Promise<{ token: string; expiresAt: number }> {
  const r = await s.http('POST', '/api/auth/dev', { body: { userId, nickname: userId } });
  return { token: r.body.token, expiresAt: r.body.expiresAt };
}

/** A wx client whose next reconnect would wait ~20 s: anything faster came from a platform signal. */
async function slowWxClient(s: TestServer, fake: FakeWx, userId: string, heartbeat?: { intervalMs: number; timeoutMs: number }) {
  const client = createWxClient({
    wx: fake.api,
    baseUrl: s.baseUrl,
    userId,
    auth: await loginFull(s, userId),
    backoff: { baseMs: 20_000, maxMs: 60_000, foregroundMaxMs: 60_000, random: () => 0.99 },
    ...(heartbeat ? { heartbeat } : {}),
  });
  onCleanup(() => client.dispose());
  return client;
}

/** Records what a client says about its login. */
function watch(c: ImClient) {
  const seen = { ended: [] as string[], auth: 0, states: [] as string[] };
  c.on('sessionEnded', (e) => seen.ended.push(e.reason));
  c.on('auth', () => seen.auth++);
  c.on('state', (ch) => seen.states.push(`${ch.newState}:${ch.reason}${ch.closeCode ? `:${ch.closeCode}` : ''}`));
  return seen;
}

describe('the login survives restarts and failed refreshes', () => {
  it('a graceful restart (1012) logs nobody out: web and wx clients reconnect with their token, resend and sync', async () => {
    const s = await startServer();
    const fake = new FakeWx();
    const alice = await makeClient(s, 'alice', { auth: await loginFull(s, 'alice') });
    const bobAuth = await loginFull(s, 'bob');
    const bob = createWxClient({ wx: fake.api, baseUrl: s.baseUrl, userId: 'bob', auth: bobAuth, backoff: { baseMs: 20, maxMs: 200 } });
    onCleanup(() => bob.dispose());
    const a = watch(alice);
    const b = watch(bob);
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    await alice.sendText('u:bob', 'before');

    await s.stop();
    await until(() => alice.state !== 'connected' && bob.state !== 'connected', 'both see the restart');
    const during = alice.sendText('u:bob', 'during'); // queued in the outbox while the server is down
    await s.restart();
    const sent = await during;
    expect(sent.status).toBe('sent');
    await until(() => bob.messages('d:alice:bob').length === 2, 'bob gets the message sent during the restart');
    expect(bob.messages('d:alice:bob').map((m) => (m.body as { text: string }).text)).toEqual(['before', 'during']);
    for (const seen of [a, b]) {
      expect(seen.ended).toEqual([]);
      expect(seen.auth).toBe(0); // no refresh: the token was never refused
      expect(seen.states).toContain('reconnecting:server_restart:1012');
      expect(seen.states.at(-1)).toBe('connected:hello');
    }
    expect(fake.sockets.every((t) => t.header.Authorization === `Bearer ${bobAuth.token}`)).toBe(true);
  });

  it('a refresh answered 502 or refused does not log out; the next good answer reconnects', async () => {
    const s = await startServer();
    const old = await loginFull(s, 'carol');
    // Revoke the token (a refresh elsewhere): the socket is refused with 401 → the SDK must refresh.
    const elsewhere = await s.http('POST', '/api/auth/refresh', { token: old.token });
    const answers: Array<'502' | 'refused' | 'ok'> = ['502', 'refused', 'ok'];
    const asked: string[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      const url = String(input);
      if (!url.endsWith('/api/auth/refresh')) return fetch(input, init);
      const answer = answers.shift() ?? 'ok';
      asked.push(answer);
      if (answer === '502') return new Response('<html>502 Bad Gateway</html>', { status: 502 });
      if (answer === 'refused') throw new TypeError('fetch failed (ECONNREFUSED)');
      return Response.json({ token: elsewhere.body.token, expiresAt: elsewhere.body.expiresAt, user: elsewhere.body.user });
    };
    const carol = await makeClient(s, 'carol', { auth: old, fetch: fetchImpl });
    const seen = watch(carol);
    const fresh: string[] = [];
    carol.on('auth', (x) => fresh.push(x.token));
    await connectSynced(carol);
    expect(asked).toEqual(['502', 'refused', 'ok']);
    expect(seen.ended).toEqual([]);
    expect(fresh).toEqual([elsewhere.body.token]);
    expect(seen.states).toEqual(['connecting:connect', 'reconnecting:unauthorized:4401', 'connected:hello']);
  });

  it('4401 and then a refresh answered 401 end the login once, with reason expired', async () => {
    const s = await startServer();
    const old = await loginFull(s, 'dave');
    await s.http('POST', '/api/auth/refresh', { token: old.token }); // revokes `old`
    const dave = await makeClient(s, 'dave', { auth: old });
    const seen = watch(dave);
    await dave.connect();
    await until(() => seen.ended.length > 0, 'login ends');
    expect(seen.ended).toEqual(['expired']);
    expect(dave.state).toBe('disconnected');
    expect(seen.states.at(-1)).toBe('disconnected:session_ended');
    // setAuth with a new login (same user) connects again.
    dave.setAuth(await loginFull(s, 'dave'));
    await dave.waitConnected(5_000);
  });

  it('wx: reconnects at once when onNetworkStatusChange says the network is back, not after the backoff', async () => {
    const s = await startServer();
    const fake = new FakeWx();
    const erin = await slowWxClient(s, fake, 'erin', { intervalMs: 1_000, timeoutMs: 300 });
    const seen = watch(erin);
    await connectSynced(erin);
    fake.setNetwork(false); // sockets die silently
    await until(() => erin.state === 'offline', 'offline noticed', 3_000);
    // Network back: the next backoff step would be ~20 s; the client must not wait for it.
    const back = Date.now();
    fake.setNetwork(true);
    await erin.waitConnected(2_000);
    expect(Date.now() - back).toBeLessThan(1_000);
    expect(seen.states).toContain('offline:heartbeat_timeout');
    expect(seen.states).toContain('reconnecting:network_back');
    expect(seen.ended).toEqual([]);
  });

  it('wx: a weak network that got better (onNetworkWeakChange) also reconnects at once', async () => {
    const s = await startServer();
    const fake = new FakeWx();
    const finn = await slowWxClient(s, fake, 'finn');
    await connectSynced(finn);
    await s.stop();
    await until(() => finn.state === 'reconnecting', 'restart seen');
    await s.restart();
    const back = Date.now();
    fake.setWeakNetwork(true);
    expect(finn.state).toBe('reconnecting'); // a weak network alone changes nothing
    fake.setWeakNetwork(false);
    await finn.waitConnected(2_000);
    expect(Date.now() - back).toBeLessThan(1_500);
  });
});
