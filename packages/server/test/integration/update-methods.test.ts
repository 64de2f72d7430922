/**
 * Partial updates without PATCH (extension in docs/protocol.md): `wx.request` has no PATCH, so every
 * PATCH route also answers PUT and POST with the same validation, checks and answer.
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';

describe('PATCH routes also answer PUT and POST', () => {
  it('profile: PUT and POST update only the fields given, with the same validation as PATCH', async () => {
    const s = await startServer();
    const t = await s.login('alice', '爱丽丝');
    const put = await s.http('PUT', '/api/me', { token: t, body: { nickname: '小爱' } });
    expect(put).toEqual({ status: 200, body: { id: 'alice', nickname: '小爱', avatarUrl: '' } });
    const post = await s.http('POST', '/api/me', { token: t, body: { avatarUrl: 'https://a/x.png' } });
    expect(post.body).toEqual({ id: 'alice', nickname: '小爱', avatarUrl: 'https://a/x.png' });
    expect((await s.http('PUT', '/api/me', { token: t, body: { nickname: 5 } })).body.error).toEqual({
      code: 'bad_request',
      message: 'nickname must be a string',
    });
    expect((await s.http('POST', '/api/me', { body: { nickname: 'x' } })).status).toBe(401);
    expect((await s.http('GET', '/api/me', { token: t })).body.nickname).toBe('小爱');
  });

  it('group rename, mute and member role: PUT and POST behave like PATCH, permissions included', async () => {
    const s = await startServer();
    const owner = await s.login('owner');
    const member = await s.login('member');
    await s.login('other');
    const g = await s.http('POST', '/api/groups', { token: owner, body: { name: '周末', members: ['member', 'other'] } });
    expect(g.status).toBe(200);
    const gid = g.body.id as string;
    expect((await s.http('PUT', `/api/groups/${gid}`, { token: owner, body: { name: '周日' } })).body).toMatchObject({ id: gid, name: '周日' });
    expect((await s.http('POST', `/api/groups/${gid}`, { token: owner, body: { muted: true } })).body).toMatchObject({ name: '周日', muted: true });
    // A plain member may not rename, whatever the method.
    const refused = await s.http('PUT', `/api/groups/${gid}`, { token: member, body: { name: 'x' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await s.http('POST', `/api/groups/${gid}`, { token: owner, body: { name: '' } })).body.error.code).toBe('bad_request');
    const promoted = await s.http('PUT', `/api/groups/${gid}/members/member`, { token: owner, body: { role: 'admin' } });
    expect(promoted.status).toBe(200);
    const demoted = await s.http('POST', `/api/groups/${gid}/members/member`, { token: owner, body: { role: 'member' } });
    expect(demoted.status).toBe(200);
    const group = await s.http('GET', `/api/groups/${gid}`, { token: owner });
    expect(group.body).toMatchObject({ name: '周日', admins: [] });
    // Routes that are not updates did not grow new methods.
    expect((await s.http('PUT', '/api/conversations', { token: owner })).status).toBe(404);
  });
});
