/** Extension: batch profile lookup (`GET /api/users?ids=`) and member lists with profiles, over real HTTP. */
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';

describe('user profiles', () => {
  it('looks up many users in one request: known ones in the asked order, unknown ones left out, duplicates once', async () => {
    const s = await startServer();
    const t = await s.login('alice', '爱丽丝');
    await s.login('bob', '鲍勃');
    await s.http('POST', '/api/auth/dev', { body: { userId: 'carol', nickname: '卡罗尔', avatarUrl: 'https://a.example/c.png' } });
    const r = await s.http('GET', '/api/users?ids=carol,ghost,bob,carol', { token: t });
    expect(r).toEqual({
      status: 200,
      body: {
        users: [
          { id: 'carol', nickname: '卡罗尔', avatarUrl: 'https://a.example/c.png' },
          { id: 'bob', nickname: '鲍勃', avatarUrl: '' },
        ],
      },
    });
    // A renamed user is seen renamed.
    const tb = await s.login('bob', '鲍勃');
    await s.http('PATCH', '/api/me', { token: tb, body: { nickname: '小鲍' } });
    expect((await s.http('GET', '/api/users?ids=bob', { token: t })).body.users[0].nickname).toBe('小鲍');
  });

  it('refuses bad lookups with the contract codes', async () => {
    const s = await startServer();
    const t = await s.login('alice');
    const hundred = Array.from({ length: 100 }, (_, i) => `u${i}`).join(',');
    expect((await s.http('GET', `/api/users?ids=${hundred}`, { token: t })).status).toBe(200);
    const tooMany = await s.http('GET', `/api/users?ids=${hundred},u100`, { token: t });
    expect(tooMany).toEqual({ status: 400, body: { error: { code: 'bad_request', message: 'ids must have at most 100 entries' } } });
    const bad = await s.http('GET', '/api/users?ids=bob,bad%20id', { token: t });
    expect(bad.body.error).toEqual({ code: 'bad_request', message: 'ids[1] must match ^[A-Za-z0-9_-]{1,64}$' });
    expect((await s.http('GET', '/api/users?ids=', { token: t })).body.error.code).toBe('bad_request');
    expect((await s.http('GET', '/api/users', { token: t })).body.error.code).toBe('bad_request');
    expect((await s.http('GET', '/api/users?ids=bob,,carol', { token: t })).body.error.code).toBe('bad_request');
    expect((await s.http('GET', '/api/users?ids=alice')).status).toBe(401);
  });

  it('group member lists carry each member’s nickname and avatar', async () => {
    const s = await startServer();
    const owner = await s.login('owner', '群主');
    await s.http('POST', '/api/auth/dev', { body: { userId: 'm1', nickname: '成员一', avatarUrl: 'https://a.example/1.png' } });
    await s.login('m2');
    const g = await s.http('POST', '/api/groups', { token: owner, body: { name: '测试群', members: ['m1', 'm2'] } });
    const r = await s.http('GET', `/api/groups/${g.body.id}/members`, { token: owner });
    expect(r.body.members.map((m: any) => [m.userId, m.role, m.nickname, m.avatarUrl])).toEqual([
      ['owner', 'owner', '群主', ''],
      ['m1', 'member', '成员一', 'https://a.example/1.png'],
      ['m2', 'member', 'm2', ''],
    ]);
  });
});

describe('peer read mark of a direct chat', () => {
  it('tells a member how far the other one has read; refuses groups and outsiders', async () => {
    const s = await startServer();
    const [ta, tb, tc] = [await s.login('alice'), await s.login('bob'), await s.login('carol')];
    for (const text of ['一', '二', '三']) {
      const r = await s.http('POST', '/api/messages', { token: ta, body: { to: 'u:bob', clientMsgId: text, kind: 'text', body: { text } } });
      expect(r.status).toBe(200);
    }
    expect((await s.http('GET', '/api/conversations/d:alice:bob/peer-read', { token: ta })).body).toEqual({ conv: 'd:alice:bob', user: 'bob', readSeq: 0 });
    await s.http('POST', '/api/conversations/d:alice:bob/read', { token: tb, body: { seq: 2 } });
    expect((await s.http('GET', '/api/conversations/d:alice:bob/peer-read', { token: ta })).body).toEqual({ conv: 'd:alice:bob', user: 'bob', readSeq: 2 });
    expect((await s.http('GET', '/api/conversations/d:alice:bob/peer-read', { token: tb })).body.user).toBe('alice');
    expect((await s.http('GET', '/api/conversations/d:alice:bob/peer-read', { token: tc })).status).toBe(403);
    expect((await s.http('GET', '/api/conversations/g:grp/peer-read', { token: ta })).body.error.code).toBe('bad_request');
    expect((await s.http('GET', '/api/conversations/d:bob:alice/peer-read', { token: ta })).body.error.code).toBe('bad_request');
  });
});
