/**
 * Sockets die with their token: a refresh, a logout or a ban closes the sockets opened
 * with that login session at once (4401; 4403 for a ban), and a socket is closed with 4401
 * when its token expires.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startCluster } from '../support/cluster.js';
import { serviceAvailable } from '../support/databases.js';
import { redisAvailable } from '../support/redis.js';
import { startServer, type TestServer } from '../support/server.js';

const SECRET = 's'.repeat(32);

/** A token for `userId` expiring in `ms`, signed as the server signs (its session stored). */
async function shortToken(s: TestServer, userId: string, ms: number): Promise<string> {
  const sessionId = `short${Date.now()}`;
  const expiresAt = Date.now() + ms;
  await s.server.storage.createSession({ id: sessionId, userId, createdAt: Date.now(), expiresAt });
  const data = Buffer.from(JSON.stringify({ u: userId, s: sessionId, e: expiresAt })).toString('base64url');
  return `${data}.${createHmac('sha256', SECRET).update(data).digest('base64url')}`;
}

describe('revocation and expiry of live sockets', () => {
  it('refresh closes the sockets of the old token with 4401 (no kicked) and leaves the other logins alone', async () => {
    const s = await startServer({ tokenSecret: SECRET });
    const t1 = await s.login('alice');
    const t2 = await s.login('alice');
    const old = await s.connect(t1);
    const other = await s.connect(t2);
    const r = await s.http('POST', '/api/auth/refresh', { token: t1 });
    expect(r.status).toBe(200);
    expect(await old.waitClose(2000)).toBe(4401);
    expect(old.frames.some((f) => f.op === 'kicked')).toBe(false);
    expect(await other.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
    const again = await s.connect(r.body.token);
    expect(again.hello.user.id).toBe('alice');
  });

  it('POST /api/auth/logout ends the session: its sockets get kicked logout and 4401, the token is refused', async () => {
    const s = await startServer({ tokenSecret: SECRET });
    const t1 = await s.login('alice');
    const t2 = await s.login('alice');
    const a = await s.connect(t1);
    const b = await s.connect(t2);
    expect(await s.http('POST', '/api/auth/logout', { token: t1 })).toMatchObject({ status: 200, body: { ok: true } });
    expect(await a.waitClose(2000)).toBe(4401);
    expect(a.frames.at(-1)).toEqual({ op: 'kicked', reason: 'logout' });
    expect((await s.http('GET', '/api/me', { token: t1 })).status).toBe(401);
    expect((await s.http('POST', '/api/auth/logout', { token: t1 })).status).toBe(401);
    expect(await b.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
  });

  it('a ban closes every socket of the user with 4403 and kicked banned', async () => {
    const s = await startServer({ tokenSecret: SECRET });
    const a1 = await s.connect(await s.login('alice'));
    const a2 = await s.connect(await s.login('alice'));
    const bob = await s.connect(await s.login('bob'));
    s.server.revocations.emit({ userId: 'alice', reason: 'banned' });
    expect(await a1.waitClose(2000)).toBe(4403);
    expect(await a2.waitClose(2000)).toBe(4403);
    expect(a1.frames.at(-1)).toEqual({ op: 'kicked', reason: 'banned' });
    expect(await bob.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
  });

  it('a socket is closed with 4401 when its token expires', async () => {
    const s = await startServer({ tokenSecret: SECRET });
    await s.login('alice');
    const token = await shortToken(s, 'alice', 1500);
    const a = await s.connect(token);
    const opened = Date.now();
    expect(await a.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
    expect(await a.waitClose(4000)).toBe(4401);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(1000);
    expect((await s.http('GET', '/api/me', { token })).status).toBe(401);
  });
});

const clusterAvailable = (await serviceAvailable('postgres')) && (await redisAvailable());
if (!clusterAvailable) console.warn('SKIPPING the cross-node revocation test: PostgreSQL or Redis unreachable');

describe.skipIf(!clusterAvailable)('revocation across nodes', () => {
  it('a logout on one node closes the session’s socket on the other node; a refresh there too', async () => {
    const [a, b] = await startCluster(2);
    const t1 = await a!.login('alice');
    const t2 = await a!.login('alice');
    const onB = await b!.connect(t1);
    const otherOnB = await b!.connect(t2);
    expect((await a!.http('POST', '/api/auth/logout', { token: t1 })).status).toBe(200);
    expect(await onB.waitClose(3000)).toBe(4401);
    expect(onB.frames.at(-1)).toEqual({ op: 'kicked', reason: 'logout' });
    expect(await otherOnB.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
    expect((await a!.http('POST', '/api/auth/refresh', { token: t2 })).status).toBe(200);
    expect(await otherOnB.waitClose(3000)).toBe(4401);
  });
});
