/**
 * The admin API over a real server: who may call it (admin token, admin users, nobody
 * else), bans (4403 on live sockets, tokens refused at once, every login route 403 until
 * unbanned), the data-subject export/erase round trip, and the audit log of every call.
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';
import { startWechatServer } from '../support/wechat-server.js';

const ADMIN = 'admin-token-0123456789abcdef';

/** Every admin route with parameters that would succeed, so a refusal can only come from the token. */
const ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/api/admin/stats'],
  ['GET', '/api/admin/users?q=alice'],
  ['GET', '/api/admin/users/alice'],
  ['GET', '/api/admin/users/alice/sessions'],
  ['POST', '/api/admin/users/alice/ban', { reason: 'x' }],
  ['DELETE', '/api/admin/users/alice/ban'],
  ['GET', '/api/admin/users/alice/export'],
  ['DELETE', '/api/admin/users/alice'],
  ['GET', '/api/admin/messages/some-id'],
  ['GET', '/api/admin/conversations/d:alice:bob/messages/1'],
  ['DELETE', '/api/admin/conversations/d:alice:bob/messages/1'],
  ['GET', '/api/admin/conversations/d:alice:bob/export'],
  ['GET', '/api/admin/groups'],
  ['GET', '/api/admin/groups/g1'],
  ['GET', '/api/admin/groups/g1/members'],
  ['DELETE', '/api/admin/groups/g1'],
  ['POST', '/api/admin/groups/g1/transfer', { userId: 'bob' }],
  ['POST', '/api/admin/groups/g1/mute', { muted: true }],
  ['POST', '/api/admin/groups/g1/members/bob/mute', { mutedUntil: 0 }],
  ['POST', '/api/admin/notices', { to: 'all', text: 'hi' }],
  ['GET', '/api/admin/audit'],
];

describe('admin API access', () => {
  it('every admin route refuses a call without a token, with a wrong token and with a user token; nothing is done or audited', async () => {
    const s = await startServer({ adminToken: ADMIN });
    const user = await s.login('alice');
    await s.login('bob');
    for (const [method, url, body] of ROUTES) {
      const none = await s.http(method, url, { body });
      expect([url, none.status, none.body.error?.code]).toEqual([url, 401, 'unauthorized']);
      const wrong = await s.http(method, url, { body, token: `${ADMIN}x` });
      expect([url, wrong.status, wrong.body.error?.code]).toEqual([url, 401, 'unauthorized']);
      const short = await s.http(method, url, { body, token: ADMIN.slice(0, -1) });
      expect([url, short.status]).toEqual([url, 401]);
      const asUser = await s.http(method, url, { body, token: user });
      expect([url, asUser.status, asUser.body.error?.code]).toEqual([url, 403, 'forbidden']);
    }
    // Nothing happened: alice is not banned and not erased, and the log holds only the one read below.
    expect((await s.http('GET', '/api/me', { token: user })).status).toBe(200);
    const audit = await s.http('GET', '/api/admin/audit', { token: ADMIN });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(['audit.read']);
  });

  it('refuses everything when no admin is configured, and says how to turn it on', async () => {
    const s = await startServer();
    const r = await s.http('GET', '/api/admin/stats', { token: 'anything-at-all-1234' });
    expect(r).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    const none = await s.http('GET', '/api/admin/stats');
    expect(none.body.error.message).toContain('MINIIM_ADMIN_TOKEN');
  });

  it('admin users (MINIIM_ADMIN_USERS) call it with their own login token; the audit log names them', async () => {
    const s = await startServer({ adminToken: ADMIN, adminUsers: 'boss, deputy' });
    const boss = await s.login('boss');
    await s.login('alice');
    const r = await s.http('GET', '/api/admin/users/alice', { token: boss });
    expect(r).toMatchObject({ status: 200, body: { user: { id: 'alice' }, online: false, banned: false } });
    const audit = await s.http('GET', '/api/admin/audit?action=user.read', { token: ADMIN });
    expect(audit.body.entries).toEqual([expect.objectContaining({ actor: 'admin:boss', action: 'user.read', target: 'alice', ip: '127.0.0.1' })]);
  });

  it('rejects bad input with 400 naming the field, once the caller is an admin', async () => {
    const s = await startServer({ adminToken: ADMIN });
    const bad = [
      await s.http('GET', '/api/admin/users', { token: ADMIN }),
      await s.http('GET', '/api/admin/users/bad%20id', { token: ADMIN }),
      await s.http('POST', '/api/admin/users/alice/ban', { token: ADMIN, body: { reason: { text: 'x' } } }),
      await s.http('GET', '/api/admin/conversations/x/messages/0', { token: ADMIN }),
      await s.http('POST', '/api/admin/notices', { token: ADMIN, body: { to: 'nobody', text: 'x' } }),
      await s.http('GET', '/api/admin/audit?limit=100000', { token: ADMIN }),
    ];
    for (const r of bad) expect([bad.indexOf(r), r]).toMatchObject([bad.indexOf(r), { status: 400, body: { error: { code: 'bad_request' } } }]);
    expect(bad[2]!.body.error.message).toContain('reason');
  });
});

describe('bans', () => {
  it('closes live sockets with 4403, refuses the token at once, and every login route answers 403 until unbanned', async () => {
    const t = await startWechatServer({ overrides: { adminToken: ADMIN } });
    const wx = await t.wxLogin('oBANNED');
    const id = wx.body.user.id as string;
    const dev = await t.devLogin('alice');
    const sockets = [await t.connect(wx.body.token), await t.connect(wx.body.token)];
    const bystander = await t.connect(dev);

    const ban = await t.http('POST', `/api/admin/users/${id}/ban`, { token: ADMIN, body: { reason: '刷屏广告' } });
    expect(ban).toMatchObject({ status: 200, body: { userId: id, banned: true, revokedSessions: 1 } });
    for (const c of sockets) {
      expect(await c.waitClose(3000)).toBe(4403);
      expect(c.frames.at(-1)).toEqual({ op: 'kicked', reason: 'banned' });
    }
    expect(await bystander.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
    expect((await t.http('GET', '/api/me', { token: wx.body.token })).status).toBe(401);
    await expect(t.connect(wx.body.token)).rejects.toThrow(/401/);
    const refresh = await t.http('POST', '/api/auth/refresh', { token: wx.body.token });
    expect(refresh).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await t.wxLogin('oBANNED')).body).toMatchObject({ error: { code: 'forbidden' } });
    expect((await t.wxLogin('oBANNED')).status).toBe(403);
    // Dev login of the same id: refused too.
    expect((await t.http('POST', '/api/auth/dev', { body: { userId: id } })).status).toBe(403);
    expect(await t.http('GET', `/api/admin/users/${id}`, { token: ADMIN })).toMatchObject({
      status: 200,
      body: { banned: true, ban: { by: 'admin', reason: '刷屏广告' }, online: false },
    });
    const sessions = await t.http('GET', `/api/admin/users/${id}/sessions`, { token: ADMIN });
    expect(sessions.body.sessions).toEqual([expect.objectContaining({ revokedAt: expect.any(Number) })]);

    expect(await t.http('DELETE', `/api/admin/users/${id}/ban`, { token: ADMIN })).toMatchObject({ status: 200, body: { banned: false, lifted: true } });
    const back = await t.wxLogin('oBANNED');
    expect(back.status).toBe(200);
    expect((await t.connect(back.body.token)).hello.user.id).toBe(id);
    expect((await t.http('POST', '/api/auth/refresh', { token: back.body.token })).status).toBe(200);
    expect((await t.http('POST', '/api/auth/dev', { body: { userId: id } })).status).toBe(200);
  });
});

describe('data-subject requests', () => {
  it('export holds the user’s data; erase leaves no profile data and no message text of the user', async () => {
    const t = await startWechatServer({ overrides: { adminToken: ADMIN } });
    const wx = await t.wxLogin('oERASE', { unionid: 'uERASE' });
    const id = wx.body.user.id as string;
    const token = wx.body.token as string;
    await t.http('PATCH', '/api/me', { token, body: { nickname: '秘密昵称Zed', avatarUrl: 'https://img.example/zed.png' } });
    const bob = await t.devLogin('bob');
    const group = await t.http('POST', '/api/groups', { token, body: { name: '测试群', members: ['bob'] } });
    const me = await t.connect(token);
    const bobSocket = await t.connect(bob);
    await me.request({ op: 'send', to: 'u:bob', clientMsgId: 'c1', kind: 'text', body: { text: 'zed secret direct' } });
    await me.request({ op: 'send', to: `g:${group.body.id}`, clientMsgId: 'c2', kind: 'text', body: { text: 'zed secret group' } });
    await bobSocket.request({ op: 'send', to: `u:${id}`, clientMsgId: 'c3', kind: 'text', body: { text: 'bob reply' } });

    const exp = await t.http('GET', `/api/admin/users/${id}/export`, { token: ADMIN });
    expect(exp.status).toBe(200);
    expect(exp.body.user).toMatchObject({ id, nickname: '秘密昵称Zed' });
    expect(exp.body.identities).toEqual([expect.objectContaining({ openid: 'oERASE', unionid: 'uERASE' })]);
    expect(JSON.stringify(exp.body)).not.toContain(wx.sessionKey);
    expect(exp.body.messages.map((m: { body: { text?: string } }) => m.body.text).filter(Boolean)).toEqual(['zed secret direct', 'zed secret group']);
    expect(exp.body.conversations).toHaveLength(2);
    expect(exp.body.sessions).toHaveLength(1);

    const erase = await t.http('DELETE', `/api/admin/users/${id}`, { token: ADMIN });
    expect(erase).toMatchObject({ status: 200, body: { erased: true, recalledMessages: 2 } });
    expect(await me.waitClose(3000)).toBe(4401);
    // Bob's clients are told, as for a recall by the system.
    await bobSocket.waitFor((f) => f.op === 'recalled' && f.conv.startsWith('d:') && f.by === 'system');

    const leaks = ['秘密昵称Zed', 'zed secret', 'img.example', 'oERASE', 'uERASE'];
    const seen: string[] = [];
    const look = async (route: string, tok = ADMIN) => {
      const r = await t.http('GET', route, { token: tok });
      seen.push(JSON.stringify(r.body));
      return r;
    };
    expect((await look(`/api/admin/users/${id}`)).status).toBe(404);
    const after = await look(`/api/admin/users/${id}/export`);
    expect(after.body).toMatchObject({ user: null, identities: [], phone: null, sessions: [] });
    // Group events written in the user's name (group_created) stay; every message of theirs is a stub.
    const theirs = after.body.messages.filter((m: { kind: string }) => m.kind !== 'system');
    expect(theirs).toHaveLength(2);
    expect(theirs.every((m: { body: object; recalled?: object }) => JSON.stringify(m.body) === '{}' && m.recalled)).toBe(true);
    expect((await look('/api/admin/users?q=oERASE')).body.users).toEqual([]);
    expect((await look('/api/admin/users?q=%E7%A7%98%E5%AF%86')).body.users).toEqual([]);
    await look(`/api/conversations/d:${[id, 'bob'].sort().join(':')}/messages`, bob);
    await look(`/api/conversations/g:${group.body.id}/messages`, bob);
    await look('/api/conversations', bob);
    await look(`/api/users/${id}`, bob);
    await look(`/api/admin/conversations/g:${group.body.id}/export`);
    for (const text of seen) for (const leak of leaks) expect(text).not.toContain(leak);
    // Bob's own message stays.
    expect(seen.join('')).toContain('bob reply');
    // Logging in again finds no identity: a new, empty profile.
    const again = await t.wxLogin('oERASE', { unionid: 'uERASE' });
    expect(again.body.user.nickname).not.toContain('Zed');
  });
});

describe('audit log', () => {
  it('every admin action appears, newest first, with actor, target and IP; filters and the cursor work', async () => {
    const s = await startServer({ adminToken: ADMIN });
    await s.login('alice');
    await s.login('bob');
    const calls: Array<[string, string, unknown?]> = [
      ['GET', '/api/admin/stats'],
      ['GET', '/api/admin/users?q=ali'],
      ['GET', '/api/admin/users/alice'],
      ['POST', '/api/admin/users/alice/ban', { reason: 'spam' }],
      ['DELETE', '/api/admin/users/alice/ban'],
      ['POST', '/api/admin/notices', { to: 'u:bob', text: '维护通知' }],
      ['GET', '/api/admin/users/nobody'],
    ];
    for (const [method, url, body] of calls) await s.http(method, url, { token: ADMIN, body });
    const all = await s.http('GET', '/api/admin/audit?limit=100', { token: ADMIN });
    const actions = all.body.entries.map((e: { action: string }) => e.action).reverse();
    expect(actions).toEqual(['stats.read', 'user.search', 'user.read', 'user.ban', 'user.unban', 'notice.send', 'user.read', 'user.read.failed', 'audit.read']);
    const ban = all.body.entries.find((e: { action: string }) => e.action === 'user.ban');
    expect(ban).toMatchObject({ actor: 'admin', target: 'alice', ip: '127.0.0.1', detail: { reason: 'spam' }, at: expect.any(Number), id: expect.any(String) });
    expect(all.body.entries.find((e: { action: string }) => e.action === 'user.read.failed')).toMatchObject({
      target: 'nobody',
      detail: { code: 'not_found' },
    });
    const forAlice = await s.http('GET', '/api/admin/audit?target=alice', { token: ADMIN });
    expect(forAlice.body.entries.map((e: { action: string }) => e.action)).toEqual(['user.unban', 'user.ban', 'user.read']);
    const p1 = await s.http('GET', '/api/admin/audit?limit=4', { token: ADMIN });
    const p2 = await s.http('GET', `/api/admin/audit?limit=100&cursor=${p1.body.nextCursor}`, { token: ADMIN });
    // p1 starts with its own entry and the one of the read by target, then the same list as `all`.
    expect([...p1.body.entries, ...p2.body.entries].map((e: { id: string }) => e.id).slice(2)).toEqual(all.body.entries.map((e: { id: string }) => e.id));
  });
});
