import { describe, expect, it } from 'vitest';
import { startServer, type TestClient, type TestServer } from '../support/server.js';

const text = (t: string, extra: Record<string, unknown> = {}) => ({ kind: 'text', body: { text: t, ...extra } });

/** owner, admin, member, outsider (not in the group); group of 3 created by owner. */
async function setup(overrides: Record<string, unknown> = {}) {
  const s = await startServer(overrides);
  const tok: Record<string, string> = {};
  for (const u of ['owner', 'admin', 'member', 'outsider', 'newbie', 'member2', 'admin2']) tok[u] = await s.login(u);
  const created = await s.http('POST', '/api/groups', { token: tok.owner, body: { name: '产品群', members: ['admin', 'member'] } });
  expect(created.status).toBe(200);
  const gid = created.body.id as string;
  const promote = await s.http('PATCH', `/api/groups/${gid}/members/admin`, { token: tok.owner, body: { role: 'admin' } });
  expect(promote.body).toMatchObject({ userId: 'admin', role: 'admin' });
  return { s, tok, gid, conv: `g:${gid}` };
}

async function sendAs(s: TestServer, token: string, to: string, t: string, extra: Record<string, unknown> = {}) {
  return s.http('POST', '/api/messages', { token, body: { to, clientMsgId: `${Math.random()}`, ...text(t, extra) } });
}

describe('groups', () => {
  it('creates a group whose history starts with a system message, and lists members by role', async () => {
    const { s, tok, gid, conv } = await setup();
    const g = await s.http('GET', `/api/groups/${gid}`, { token: tok.member });
    expect(g.body).toMatchObject({ id: gid, name: '产品群', owner: 'owner', admins: ['admin'], memberCount: 3, avatarUrl: '' });
    const h = await s.http('GET', `/api/conversations/${conv}/messages`, { token: tok.member });
    expect(h.body.messages.map((m: any) => m.body.event)).toEqual(['group_created', 'role_changed']);
    expect(h.body.messages[0]).toMatchObject({ kind: 'system', from: 'owner', body: { name: '产品群', userIds: ['owner', 'admin', 'member'] } });
    const members = await s.http('GET', `/api/groups/${gid}/members?limit=2`, { token: tok.member });
    expect(members.body.members.map((m: any) => [m.userId, m.role])).toEqual([
      ['owner', 'owner'],
      ['admin', 'admin'],
    ]);
    const rest = await s.http('GET', `/api/groups/${gid}/members?cursor=${members.body.nextCursor}`, { token: tok.member });
    expect(rest.body.members.map((m: any) => m.userId)).toEqual(['member']);
    expect(rest.body.nextCursor).toBeUndefined();
  });

  it('fans a message out to every member session once and counts unread without per-member writes', async () => {
    const { s, tok, conv } = await setup();
    const clients: Record<string, TestClient> = {};
    for (const u of ['owner', 'admin', 'member', 'outsider']) clients[u] = await s.connect(tok[u]!);
    const ack = await clients.member!.request({ op: 'send', to: conv, clientMsgId: 'g1', ...text('大家好') });
    expect(ack.msg).toMatchObject({ conv, from: 'member', seq: 3 });
    for (const u of ['owner', 'admin']) expect((await clients[u]!.waitFor((f) => f.op === 'msg' && f.msg.seq === 3)).msg).toEqual(ack.msg);
    await clients.outsider!.request({ op: 'ping' });
    expect(clients.outsider!.msgs()).toHaveLength(0);
    const convs = await clients.owner!.request({ op: 'convs' });
    expect(convs.conversations[0]).toMatchObject({ conv, kind: 'group', unread: 1, group: { name: '产品群', memberCount: 3 }, lastMessage: { seq: 3 } });
    // read in a group: ack to the reader, read event only to the reader's other sessions, not to others.
    const owner2 = await s.connect(tok.owner!);
    expect(await clients.owner!.request({ op: 'read', conv, seq: 3 })).toMatchObject({ readSeq: 3, unread: 0 });
    await owner2.waitFor((f) => f.op === 'read' && f.user === 'owner');
    await clients.member!.request({ op: 'ping' });
    expect(clients.member!.frames.some((f) => f.op === 'read')).toBe(false);
  });

  it('answers who has read message N with a count and a paged list', async () => {
    const { s, tok, gid, conv } = await setup();
    const m = await sendAs(s, tok.owner!, conv, 'read me');
    const seq = m.body.msg.seq;
    await s.http('POST', `/api/conversations/${conv}/read`, { token: tok.admin, body: { seq } });
    await s.http('POST', `/api/conversations/${conv}/read`, { token: tok.member, body: { seq } });
    const r = await s.http('GET', `/api/groups/${gid}/reads?seq=${seq}&limit=1`, { token: tok.owner });
    expect(r.body).toMatchObject({ conv, seq, count: 2, readers: ['admin'], nextCursor: 'admin' });
    const r2 = await s.http('GET', `/api/groups/${gid}/reads?seq=${seq}&limit=1&cursor=admin`, { token: tok.owner });
    expect(r2.body).toMatchObject({ count: 2, readers: ['member'] });
    expect((await s.http('GET', `/api/groups/${gid}/reads?seq=${seq}`, { token: tok.outsider })).status).toBe(403);
    expect((await s.http('GET', `/api/groups/${gid}/reads`, { token: tok.owner })).body.error.code).toBe('bad_request');
  });

  it('mutes the whole group and single members', async () => {
    const { s, tok, gid, conv } = await setup();
    expect((await s.http('PATCH', `/api/groups/${gid}`, { token: tok.admin, body: { muted: true } })).body.muted).toBe(true);
    expect((await sendAs(s, tok.member!, conv, 'x')).body.error.code).toBe('forbidden');
    expect((await sendAs(s, tok.admin!, conv, 'x')).status).toBe(200);
    await s.http('PATCH', `/api/groups/${gid}`, { token: tok.owner, body: { muted: false } });
    expect((await sendAs(s, tok.member!, conv, 'x')).status).toBe(200);
    const until = Date.now() + 60_000;
    expect((await s.http('PATCH', `/api/groups/${gid}/members/member`, { token: tok.admin, body: { mutedUntil: until } })).body).toMatchObject({
      mutedUntil: until,
    });
    const muted = await sendAs(s, tok.member!, conv, 'x');
    expect(muted.status).toBe(403);
    expect(muted.body.error.message).toMatch(/muted/);
    // Admin cannot mute an admin; the owner can't be muted.
    expect((await s.http('PATCH', `/api/groups/${gid}/members/owner`, { token: tok.admin, body: { mutedUntil: until } })).status).toBe(403);
    await s.http('PATCH', `/api/groups/${gid}/members/member`, { token: tok.admin, body: { mutedUntil: 0 } });
    expect((await sendAs(s, tok.member!, conv, 'back')).status).toBe(200);
  });

  it('marks conversations with an unread mention, and only admins may mention everyone', async () => {
    const { s, tok, conv } = await setup();
    await sendAs(s, tok.admin!, conv, '@member 看一下', { mentions: ['member'] });
    const convs = await s.http('GET', '/api/conversations', { token: tok.member });
    expect(convs.body.conversations[0]).toMatchObject({ conv, mentioned: true, unread: 1 });
    const ownerView = await s.http('GET', '/api/conversations', { token: tok.owner });
    expect(ownerView.body.conversations[0].mentioned).toBe(false);
    expect((await sendAs(s, tok.member!, conv, '@all', { mentionAll: true })).body.error.code).toBe('forbidden');
    const all = await sendAs(s, tok.owner!, conv, '@所有人 开会', { mentionAll: true });
    expect(all.status).toBe(200);
    await s.http('POST', `/api/conversations/${conv}/read`, { token: tok.member, body: { seq: all.body.msg.seq - 1 } });
    expect((await s.http('GET', '/api/conversations', { token: tok.member })).body.conversations[0].mentioned).toBe(true);
    await s.http('POST', `/api/conversations/${conv}/read`, { token: tok.member, body: { seq: all.body.msg.seq } });
    expect((await s.http('GET', '/api/conversations', { token: tok.member })).body.conversations[0].mentioned).toBeUndefined();
  });

  it('lets owner/admin recall any message at any time, members only their own within the window', async () => {
    const { s, tok, conv } = await setup({ recallWindowMs: 300 });
    const owner = await s.connect(tok.owner!);
    const member = await s.connect(tok.member!);
    const m = await member.request({ op: 'send', to: conv, clientMsgId: 'r1', ...text('oops') });
    await new Promise((r) => setTimeout(r, 350));
    expect(await member.request({ op: 'recall', conv, seq: m.msg.seq })).toMatchObject({ code: 'recall_window_passed' });
    const o = await owner.request({ op: 'send', to: conv, clientMsgId: 'r2', ...text('owner msg') });
    expect(await member.request({ op: 'recall', conv, seq: o.msg.seq })).toMatchObject({ code: 'forbidden' });
    const admin = await s.connect(tok.admin!);
    expect(await admin.request({ op: 'recall', conv, seq: m.msg.seq })).toMatchObject({ op: 'ack', conv, seq: m.msg.seq });
    expect(await member.waitFor((f) => f.op === 'recalled')).toEqual({ op: 'recalled', conv, seq: m.msg.seq, by: 'admin' });
    expect(await owner.request({ op: 'recall', conv, seq: 1 })).toMatchObject({ code: 'forbidden' }); // system message
  });

  it('relays typing in groups to the other online members only', async () => {
    const { s, tok, conv } = await setup();
    const owner = await s.connect(tok.owner!);
    const member = await s.connect(tok.member!);
    const outsider = await s.connect(tok.outsider!);
    member.send({ op: 'typing', to: conv });
    expect(await owner.waitFor((f) => f.op === 'typing')).toEqual({ op: 'typing', conv, user: 'member' });
    outsider.send({ op: 'typing', to: conv });
    await owner.request({ op: 'ping' });
    expect(owner.frames.filter((f) => f.op === 'typing')).toHaveLength(1);
    expect(member.frames.some((f) => f.op === 'typing')).toBe(false);
  });

  it('records joins, leaves, renames, transfers and disbanding as system messages in order', async () => {
    const { s, tok, gid, conv } = await setup();
    const newbie = await s.connect(tok.newbie!);
    await s.http('POST', `/api/groups/${gid}/members`, { token: tok.admin, body: { userIds: ['newbie'] } });
    const joined = await newbie.waitFor((f) => f.op === 'msg');
    expect(joined.msg.body).toEqual({ event: 'member_joined', userIds: ['newbie'], by: 'admin' });
    // A new member's unread starts at zero.
    expect((await s.http('GET', '/api/conversations', { token: tok.newbie })).body.conversations[0]).toMatchObject({ unread: 0 });
    await s.http('PATCH', `/api/groups/${gid}`, { token: tok.owner, body: { name: '新名字' } });
    await s.http('DELETE', `/api/groups/${gid}/members/newbie`, { token: tok.newbie });
    const left = await newbie.waitFor((f) => f.op === 'msg' && f.msg.body.event === 'member_left');
    expect(left.msg.body).toEqual({ event: 'member_left', userIds: ['newbie'], by: 'newbie' });
    expect((await s.http('GET', `/api/conversations/${conv}/messages`, { token: tok.newbie })).status).toBe(403);
    expect((await s.http('DELETE', `/api/groups/${gid}/members/owner`, { token: tok.owner })).body.error.code).toBe('conflict');
    expect((await s.http('POST', `/api/groups/${gid}/transfer`, { token: tok.owner, body: { userId: 'member' } })).body).toMatchObject({
      owner: 'member',
      admins: ['admin', 'owner'],
    });
    expect((await s.http('DELETE', `/api/groups/${gid}`, { token: tok.owner })).status).toBe(403);
    expect((await s.http('DELETE', `/api/groups/${gid}`, { token: tok.member })).body).toMatchObject({ disbanded: true });
    expect((await sendAs(s, tok.admin!, conv, 'after')).body.error).toMatchObject({ code: 'forbidden', message: 'the group was disbanded' });
    const events = (await s.http('GET', `/api/conversations/${conv}/messages`, { token: tok.admin })).body.messages.map((m: any) => m.body.event);
    expect(events).toEqual(['group_created', 'role_changed', 'member_joined', 'group_renamed', 'member_left', 'owner_changed', 'group_disbanded']);
  });

  it('enforces the configured maximum size', async () => {
    const s = await startServer({ maxGroupSize: 3 });
    const t = await s.login('a');
    for (const u of ['b', 'c', 'd']) await s.login(u);
    expect((await s.http('POST', '/api/groups', { token: t, body: { name: 'x', members: ['b', 'c', 'd'] } })).body.error.message).toMatch(/at most 3/);
    const g = await s.http('POST', '/api/groups', { token: t, body: { name: 'x', members: ['b', 'c'] } });
    expect((await s.http('POST', `/api/groups/${g.body.id}/members`, { token: t, body: { userIds: ['d'] } })).body.error.code).toBe('bad_request');
    expect((await s.http('POST', '/api/groups', { token: t, body: { name: 'y', members: ['ghost'] } })).body.error.code).toBe('not_found');
  });
});

describe('group permission matrix', () => {
  type Op = [string, (c: { s: TestServer; gid: string; conv: string; token: string; role: string }) => Promise<{ status: number }>];
  const ops: Op[] = [
    ['get', ({ s, gid, token }) => s.http('GET', `/api/groups/${gid}`, { token })],
    ['list members', ({ s, gid, token }) => s.http('GET', `/api/groups/${gid}/members`, { token })],
    ['send', ({ s, conv, token }) => sendAs(s, token, conv, 'hi')],
    ['history', ({ s, conv, token }) => s.http('GET', `/api/conversations/${conv}/messages`, { token })],
    ['rename', ({ s, gid, token }) => s.http('PATCH', `/api/groups/${gid}`, { token, body: { name: 'renamed' } })],
    ['mute group', ({ s, gid, token }) => s.http('PATCH', `/api/groups/${gid}`, { token, body: { muted: false } })],
    ['add member', ({ s, gid, token }) => s.http('POST', `/api/groups/${gid}/members`, { token, body: { userIds: ['newbie'] } })],
    ['remove plain member', ({ s, gid, token }) => s.http('DELETE', `/api/groups/${gid}/members/member2`, { token })],
    ['remove admin', ({ s, gid, token }) => s.http('DELETE', `/api/groups/${gid}/members/admin2`, { token })],
    ['leave', ({ s, gid, token, role }) => s.http('DELETE', `/api/groups/${gid}/members/${role}`, { token })],
    ['mute member', ({ s, gid, token }) => s.http('PATCH', `/api/groups/${gid}/members/member2`, { token, body: { mutedUntil: 0 } })],
    ['make admin', ({ s, gid, token }) => s.http('PATCH', `/api/groups/${gid}/members/member2`, { token, body: { role: 'admin' } })],
    ['transfer', ({ s, gid, token }) => s.http('POST', `/api/groups/${gid}/transfer`, { token, body: { userId: 'admin' } })],
    ['read-by', ({ s, gid, token }) => s.http('GET', `/api/groups/${gid}/reads?seq=1`, { token })],
    ['disband', ({ s, gid, token }) => s.http('DELETE', `/api/groups/${gid}`, { token })],
  ];
  // Expected HTTP status per op for: outsider, member, admin, owner.
  const expected: Record<string, [number, number, number, number]> = {
    get: [403, 200, 200, 200],
    'list members': [403, 200, 200, 200],
    send: [403, 200, 200, 200],
    history: [403, 200, 200, 200],
    rename: [403, 403, 200, 200],
    'mute group': [403, 403, 200, 200],
    'add member': [403, 403, 200, 200],
    'remove plain member': [403, 403, 200, 200],
    'remove admin': [403, 403, 403, 200],
    leave: [403, 200, 200, 409],
    'mute member': [403, 403, 200, 200],
    'make admin': [403, 403, 403, 200],
    transfer: [403, 403, 403, 200],
    'read-by': [403, 200, 200, 200],
    disband: [403, 403, 403, 200],
  };
  const roles = ['outsider', 'member', 'admin', 'owner'] as const;
  for (const [name, run] of ops) {
    it(`${name}: outsider/member/admin/owner → ${expected[name]!.join('/')}`, async () => {
      const got: number[] = [];
      for (const role of roles) {
        const { s, tok, gid, conv } = await setup();
        await s.http('POST', `/api/groups/${gid}/members`, { token: tok.owner, body: { userIds: ['member2', 'admin2'] } });
        await s.http('PATCH', `/api/groups/${gid}/members/admin2`, { token: tok.owner, body: { role: 'admin' } });
        const r = await run({ s, gid, conv, token: tok[role]!, role });
        got.push(r.status);
      }
      expect(got).toEqual(expected[name]);
    });
  }

  it('an unknown group is not_found for everyone', async () => {
    const { s, tok } = await setup();
    expect((await s.http('GET', '/api/groups/nope', { token: tok.owner })).body.error.code).toBe('not_found');
    expect((await sendAs(s, tok.owner!, 'g:nope', 'x')).body.error.code).toBe('not_found');
  });
});
