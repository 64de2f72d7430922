import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';

describe('HTTP API', () => {
  it('dev login creates the user and returns token, expiry and user', async () => {
    const s = await startServer();
    const r = await s.http('POST', '/api/auth/dev', { body: { userId: 'alice', nickname: '爱丽丝', avatarUrl: 'https://a/x.png' } });
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual({ id: 'alice', nickname: '爱丽丝', avatarUrl: 'https://a/x.png' });
    expect(r.body.expiresAt).toBeGreaterThan(Date.now());
    expect(typeof r.body.token).toBe('string');
  });

  it('dev login is 404 when disabled', async () => {
    const s = await startServer({ devLogin: false });
    const r = await s.http('POST', '/api/auth/dev', { body: { userId: 'alice' } });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });

  it('refresh issues a new token and revokes the old one', async () => {
    const s = await startServer();
    const old = await s.login('alice');
    const r = await s.http('POST', '/api/auth/refresh', { token: old });
    expect(r.status).toBe(200);
    expect(r.body.token).not.toBe(old);
    expect((await s.http('GET', '/api/me', { token: r.body.token })).status).toBe(200);
    const stale = await s.http('GET', '/api/me', { token: old });
    expect(stale).toEqual({ status: 401, body: { error: { code: 'unauthorized', message: 'session revoked' } } });
  });

  it('rejects expired tokens', async () => {
    const s = await startServer({ tokenTtlSec: 60 });
    const token = await s.login('alice');
    const claims = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(claims.e - Date.now()).toBeLessThanOrEqual(60_000);
    const forged = `${Buffer.from(JSON.stringify({ ...claims, e: Date.now() - 1 })).toString('base64url')}.${token.split('.')[1]}`;
    const r = await s.http('GET', '/api/me', { token: forged });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });

  it('reads and patches the profile and looks up users', async () => {
    const s = await startServer();
    const t = await s.login('alice');
    await s.login('bob', '鲍勃');
    expect((await s.http('GET', '/api/me', { token: t })).body).toEqual({ id: 'alice', nickname: 'alice', avatarUrl: '' });
    const p = await s.http('PATCH', '/api/me', { token: t, body: { nickname: '小爱' } });
    expect(p.body).toEqual({ id: 'alice', nickname: '小爱', avatarUrl: '' });
    expect((await s.http('GET', '/api/users/bob', { token: t })).body).toEqual({ id: 'bob', nickname: '鲍勃', avatarUrl: '' });
    expect((await s.http('GET', '/api/users/ghost', { token: t })).status).toBe(404);
    expect((await s.http('GET', '/api/users/bad%20id', { token: t })).body.error.code).toBe('bad_request');
    expect((await s.http('PATCH', '/api/me', { token: t, body: { nickname: 5 } })).body.error).toEqual({
      code: 'bad_request',
      message: 'nickname must be a string',
    });
  });

  const badRequests: Array<[string, string, string, unknown, number, string, RegExp?]> = [
    ['no token', 'GET', '/api/conversations', undefined, 401, 'unauthorized'],
    ['bad JSON', 'POST', '/api/messages', '{oops', 400, 'bad_request', /JSON/],
    ['missing fields', 'POST', '/api/messages', { to: 'u:bob' }, 400, 'bad_request', /clientMsgId/],
    ['bad conv in path', 'GET', '/api/conversations/d:zed:abe/messages', undefined, 400, 'bad_request', /conv/],
    ['before and after', 'GET', '/api/conversations/d:alice:bob/messages?before=3&after=1', undefined, 400, 'bad_request'],
    ['limit over 100', 'GET', '/api/conversations/d:alice:bob/messages?limit=101', undefined, 400, 'bad_request', /limit/],
    ['limit not a number', 'GET', '/api/conversations?limit=abc', undefined, 400, 'bad_request', /limit/],
    ['read seq missing', 'POST', '/api/conversations/d:alice:bob/read', {}, 400, 'bad_request', /seq/],
    ['not a member', 'GET', '/api/conversations/d:bob:carol/messages', undefined, 403, 'forbidden'],
    ['presence without users', 'GET', '/api/presence', undefined, 400, 'bad_request', /users/],
    ['unknown route', 'GET', '/api/nothing', undefined, 404, 'not_found'],
  ];
  it.each(badRequests)('%s → %s %i %s', async (_n, method, route, body, status, code, message) => {
    const s = await startServer();
    const t = await s.login('alice');
    const r = await s.http(method, route, {
      token: _n === 'no token' ? undefined : t,
      ...(typeof body === 'string' ? { raw: body } : body !== undefined ? { body } : {}),
    });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    if (message) expect(r.body.error.message).toMatch(message);
  });

  it('answers 413 too_large for a body over the limit', async () => {
    const s = await startServer({ maxBodyBytes: 2048 });
    const t = await s.login('alice');
    const r = await s.http('POST', '/api/messages', {
      token: t,
      body: { to: 'u:bob', clientMsgId: 'x', kind: 'text', body: { text: 'a'.repeat(4000) } },
    });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('too_large');
  });

  it('rate-limits a user with 429 and retryAfterMs', async () => {
    const s = await startServer({ socketFramesPerSec: 2 });
    const t = await s.login('alice');
    const results = await Promise.all(Array.from({ length: 10 }, () => s.http('GET', '/api/me', { token: t })));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body.error.code).toBe('rate_limited');
    expect(limited[0]!.body.error.retryAfterMs).toBeGreaterThan(0);
  });

  it('serves health, readiness, metrics and the web page', async () => {
    const s = await startServer();
    expect((await s.http('GET', '/healthz')).body).toEqual({ ok: true });
    expect((await s.http('GET', '/readyz')).body).toEqual({ ok: true, storage: process.env.MINIIM_TEST_STORAGE ?? 'sqlite', bus: 'local' });
    const m = await fetch(`${s.url}/metrics`);
    expect(await m.text()).toMatch(/miniim_messages_total/);
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('readiness fails with 503 unavailable when storage is gone', async () => {
    const s = await startServer();
    await s.server.storage.close();
    const r = await s.http('GET', '/readyz');
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('unavailable');
  });
});

describe('storage failure', () => {
  it('answers unavailable (503 / WS error) and stores nothing', async () => {
    const s = await startServer();
    const ta = await s.login('alice');
    await s.login('bob');
    const a = await s.connect(ta);
    await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'warm', kind: 'text', body: { text: 'x' } });
    await s.server.storage.close();
    const r = await s.http('POST', '/api/messages', { token: ta, body: { to: 'u:bob', clientMsgId: 'm', kind: 'text', body: { text: 'y' } } });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('unavailable');
    const ws = await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'm2', kind: 'text', body: { text: 'z' } });
    expect(ws).toMatchObject({ op: 'error', code: 'unavailable' });
  });
});
