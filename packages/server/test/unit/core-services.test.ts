/**
 * The core's rules without sockets or a database: MessageService, GroupService (with
 * its GroupDirectory), ConversationService, TokenService and AuthService wired as
 * app.ts wires them, over an in-memory Storage and the in-process bus.
 */
import { ImError, type Msg } from '@miniim/protocol';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/cluster/bus.js';
import { LocalBus } from '../../src/cluster/local-bus.js';
import { AuthService, parseBearer } from '../../src/core/auth-service.js';
import { CommitFeed } from '../../src/core/commit-feed.js';
import { ConversationService } from '../../src/core/conversation-service.js';
import { GroupDirectory } from '../../src/core/group-directory.js';
import { GroupService } from '../../src/core/group-service.js';
import { MessageService } from '../../src/core/message-service.js';
import { SessionRevocations } from '../../src/core/session-revocations.js';
import { TokenService } from '../../src/core/token-service.js';
import { UserService } from '../../src/core/user-service.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { MemoryStorage } from '../support/memory-storage.js';

const logger = pino({ level: 'silent' });
const RECALL_WINDOW_MS = 60_000;

/** What a rejected promise was rejected with, as an ImError code. */
async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ImError);
    return (e as ImError).code;
  }
  throw new Error('expected a rejection');
}

function core(opts: { moderateText?: (text: string) => Promise<void>; devLogin?: boolean } = {}) {
  const storage = new MemoryStorage();
  const bus = new LocalBus();
  const published: Delivery[] = [];
  bus.onDelivery((d) => published.push(d));
  const committed: Msg[] = [];
  const feed = new CommitFeed(logger);
  feed.subscribe((msg) => committed.push(msg));
  const directory = new GroupDirectory(storage.groups, bus);
  const messages = new MessageService({
    storage,
    bus,
    logger,
    metrics: createMetrics(),
    recallWindowMs: RECALL_WINDOW_MS,
    checkMediaBody: (_kind, body) => body,
    groups: directory,
    onCommitted: feed.emit,
    ...(opts.moderateText ? { moderateText: (text: string) => opts.moderateText!(text) } : {}),
  });
  const conversations = new ConversationService(storage, bus, messages, directory);
  const groups = new GroupService(directory, storage, messages, 5);
  const tokens = new TokenService('unit-test-secret-0123456789', 3600_000, storage);
  const users = new UserService({ users: storage });
  const auth = new AuthService({ tokens, users, devLogin: opts.devLogin ?? true, revocations: new SessionRevocations() });
  return { storage, published, committed, messages, conversations, groups, tokens, users, auth };
}

type Core = ReturnType<typeof core>;
const text = (t: string) => ({ kind: 'text' as const, body: { text: t } });

async function withUsers(c: Core, ...ids: string[]) {
  for (const id of ids) await c.storage.upsertUser(id, { nickname: id.toUpperCase() });
}

describe('MessageService', () => {
  let c: Core;
  beforeEach(async () => {
    c = core();
    await withUsers(c, 'alice', 'bob', 'carol');
  });

  it('stores a direct message with the next seq and fans it out to both members except the sending session', async () => {
    const m1 = await c.messages.send({ userId: 'alice', sessionId: 's-alice' }, { to: 'u:bob', clientMsgId: 'c1', ...text('hi') });
    const m2 = await c.messages.send({ userId: 'bob' }, { to: 'u:alice', clientMsgId: 'c1', ...text('hey') });
    expect([m1.conv, m1.seq, m2.conv, m2.seq]).toEqual(['d:alice:bob', 1, 'd:alice:bob', 2]);
    expect(c.published[0]).toMatchObject({ userIds: ['alice', 'bob'], exceptSessionId: 's-alice' });
    expect(JSON.parse(c.published[0]!.payload)).toMatchObject({ op: 'msg', msg: { seq: 1, from: 'alice', body: { text: 'hi' } } });
    expect(c.committed.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('a resend with the same clientMsgId returns the stored message and is not fanned out or announced again', async () => {
    const first = await c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: 'same', ...text('once') });
    const again = await c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: 'same', ...text('once') });
    expect(again).toEqual(first);
    expect(c.published).toHaveLength(1);
    expect(c.committed).toHaveLength(1);
    expect((await c.storage.history('d:alice:bob', { limit: 10 })).messages).toHaveLength(1);
  });

  it('refuses bad targets: yourself, an unknown user, a malformed address', async () => {
    expect(await code(c.messages.send({ userId: 'alice' }, { to: 'u:alice', clientMsgId: 'x', ...text('me') }))).toBe('bad_request');
    expect(await code(c.messages.send({ userId: 'alice' }, { to: 'u:nobody', clientMsgId: 'x', ...text('?') }))).toBe('not_found');
    expect(await code(c.messages.send({ userId: 'alice' }, { to: 'bob', clientMsgId: 'x', ...text('?') }))).toBe('bad_request');
    expect(c.storage.appendCalls).toBe(0);
  });

  it('a text refused by moderation is never stored', async () => {
    const m = core({
      moderateText: async (t) => {
        if (t.includes('bad')) throw new ImError('content_rejected', 'no');
      },
    });
    await withUsers(m, 'alice', 'bob');
    expect(await code(m.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: 'x', ...text('bad word') }))).toBe('content_rejected');
    expect(m.storage.convs.size).toBe(0);
    await m.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: 'y', ...text('fine') });
    expect(m.storage.convs.get('d:alice:bob')?.lastSeq).toBe(1);
  });

  it('a failed commit answers unavailable (safe to retry) and nothing is announced', async () => {
    c.storage.failNextAppend = new Error('disk full');
    expect(await code(c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: 'x', ...text('lost?') }))).toBe('unavailable');
    expect(c.published).toHaveLength(0);
    expect(c.committed).toHaveLength(0);
  });

  it('recall: the sender within the window; nobody else in a direct chat; members see who recalled', async () => {
    const m = await c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: 'r', ...text('oops') });
    expect(await code(c.messages.recall('bob', m.conv, m.seq))).toBe('forbidden');
    expect(await code(c.messages.recall('carol', m.conv, m.seq))).toBe('forbidden');
    await c.messages.recall('alice', m.conv, m.seq);
    expect((await c.storage.getMessage(m.conv, m.seq))?.recalled).toMatchObject({ by: 'alice' });
    expect(JSON.parse(c.published.at(-1)!.payload)).toEqual({ op: 'recalled', conv: m.conv, seq: m.seq, by: 'alice' });
    expect(await code(c.messages.recall('alice', m.conv, 99))).toBe('not_found');
  });

  it('recall after the window is refused with recall_window_passed', async () => {
    const m = await c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: 'old', ...text('old') });
    const stored = await c.storage.getMessage(m.conv, m.seq);
    stored!.ts -= RECALL_WINDOW_MS + 1;
    expect(await code(c.messages.recall('alice', m.conv, m.seq))).toBe('recall_window_passed');
  });

  it('history is for members only', async () => {
    await c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: 'h', ...text('x') });
    expect((await c.messages.history('bob', 'd:alice:bob', { limit: 10 })).messages.map((m) => m.seq)).toEqual([1]);
    expect(await code(c.messages.history('carol', 'd:alice:bob', { limit: 10 }))).toBe('forbidden');
  });
});

describe('GroupService and the group directory', () => {
  let c: Core;
  let groupId: string;
  beforeEach(async () => {
    c = core();
    await withUsers(c, 'owner', 'adm', 'mem', 'out', 'late');
    groupId = (await c.groups.create('owner', { name: 'G', members: ['adm', 'mem'] })).id;
    await c.groups.updateMember('owner', groupId, 'adm', { role: 'admin' });
  });

  it('creation stores the members and announces it with a system message to all of them', async () => {
    const created = c.storage.convs.get(`g:${groupId}`)!.messages[0]!;
    expect(created).toMatchObject({ seq: 1, kind: 'system', from: 'owner', body: { event: 'group_created', name: 'G' } });
    expect(await c.groups.get('mem', groupId)).toMatchObject({ owner: 'owner', admins: ['adm'], memberCount: 3 });
    expect(c.committed).toHaveLength(0); // system messages are not user messages
  });

  it('only members send; a message reaches every member', async () => {
    const m = await c.messages.send({ userId: 'mem' }, { to: `g:${groupId}`, clientMsgId: 'g1', ...text('hello group') });
    expect(c.published.at(-1)?.userIds).toEqual(['owner', 'adm', 'mem']);
    expect(m.conv).toBe(`g:${groupId}`);
    expect(await code(c.messages.send({ userId: 'out' }, { to: `g:${groupId}`, clientMsgId: 'g2', ...text('let me in') }))).toBe('forbidden');
    expect(await code(c.messages.send({ userId: 'mem' }, { to: 'g:nogroup', clientMsgId: 'g3', ...text('?') }))).toBe('not_found');
  });

  it('a muted group lets only the owner and admins speak; @all is theirs alone', async () => {
    await c.groups.patch('adm', groupId, { muted: true });
    expect(await code(c.messages.send({ userId: 'mem' }, { to: `g:${groupId}`, clientMsgId: 'm1', ...text('shh') }))).toBe('forbidden');
    await c.messages.send({ userId: 'adm' }, { to: `g:${groupId}`, clientMsgId: 'm2', ...text('admins may') });
    await c.groups.patch('owner', groupId, { muted: false });
    const all = { kind: 'text' as const, body: { text: '@all', mentionAll: true } };
    expect(await code(c.messages.send({ userId: 'mem' }, { to: `g:${groupId}`, clientMsgId: 'm3', ...all }))).toBe('forbidden');
    await c.messages.send({ userId: 'owner' }, { to: `g:${groupId}`, clientMsgId: 'm4', ...all });
  });

  it('membership changes reach the fan-out at once: a removed member gets nothing, an added one everything after', async () => {
    await c.groups.removeMember('adm', groupId, 'mem');
    expect(await code(c.messages.send({ userId: 'mem' }, { to: `g:${groupId}`, clientMsgId: 'x', ...text('still here?') }))).toBe('forbidden');
    await c.groups.addMembers('owner', groupId, ['late']);
    await c.messages.send({ userId: 'late' }, { to: `g:${groupId}`, clientMsgId: 'y', ...text('joined') });
    expect(c.published.at(-1)?.userIds).toEqual(['owner', 'adm', 'late']);
  });

  it('roles: an admin cannot remove an admin; the owner cannot leave; size is capped', async () => {
    await c.groups.addMembers('owner', groupId, ['late']);
    await c.groups.updateMember('owner', groupId, 'late', { role: 'admin' });
    expect(await code(c.groups.removeMember('adm', groupId, 'late'))).toBe('forbidden');
    expect(await code(c.groups.removeMember('owner', groupId, 'owner'))).toBe('conflict');
    expect(await code(c.groups.addMembers('owner', groupId, ['out', 'alice-not-real']))).toBe('bad_request'); // 4 + 2 > 5
  });

  it('an admin recalls anyone’s message at any age; after disbanding nobody sends', async () => {
    const m = await c.messages.send({ userId: 'mem' }, { to: `g:${groupId}`, clientMsgId: 'r', ...text('old') });
    (await c.storage.getMessage(m.conv, m.seq))!.ts -= RECALL_WINDOW_MS * 10;
    await c.messages.recall('adm', m.conv, m.seq);
    expect((await c.storage.getMessage(m.conv, m.seq))?.recalled).toMatchObject({ by: 'adm' });
    await c.groups.disband('owner', groupId);
    expect(await code(c.messages.send({ userId: 'owner' }, { to: `g:${groupId}`, clientMsgId: 'z', ...text('anyone?') }))).toBe('forbidden');
  });

  it('server-side removal recalls by system and tells every member with a content_removed notice', async () => {
    const m = await c.messages.send({ userId: 'mem' }, { to: `g:${groupId}`, clientMsgId: 'bad', ...text('risky') });
    expect(await c.messages.removeContent(m.conv, m.seq)).toBe(true);
    expect(await c.messages.removeContent(m.conv, m.seq)).toBe(false);
    const last = c.storage.convs.get(m.conv)!.messages.at(-1)!;
    expect(last).toMatchObject({ kind: 'system', body: { event: 'content_removed', seq: m.seq } });
  });
});

describe('ConversationService', () => {
  let c: Core;
  beforeEach(async () => {
    c = core();
    await withUsers(c, 'alice', 'bob', 'carol');
  });

  it('lists conversations with the peer, unread (not own, not system) and the last message', async () => {
    await c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: '1', ...text('one') });
    await c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: '2', ...text('two') });
    await c.messages.send({ userId: 'bob' }, { to: 'u:alice', clientMsgId: '3', ...text('three') });
    const { conversations } = await c.conversations.list('bob', 20);
    expect(conversations).toHaveLength(1);
    expect(conversations[0]).toMatchObject({ conv: 'd:alice:bob', kind: 'direct', lastSeq: 3, unread: 2, peer: { id: 'alice', nickname: 'ALICE' } });
    expect(conversations[0]?.lastMessage?.body).toEqual({ text: 'three' });
  });

  it('a group conversation carries its group', async () => {
    const g = await c.groups.create('alice', { name: 'Team', members: ['bob'] });
    const { conversations } = await c.conversations.list('bob', 20);
    expect(conversations[0]).toMatchObject({ conv: `g:${g.id}`, kind: 'group', group: { id: g.id, name: 'Team' }, unread: 0 });
  });

  it('read marks move forward only, are capped at the last seq, and go to the peer in a direct chat', async () => {
    for (const id of ['1', '2', '3']) await c.messages.send({ userId: 'alice' }, { to: 'u:bob', clientMsgId: id, ...text(id) });
    expect(await c.conversations.read('bob', 'd:alice:bob', 2)).toEqual({ conv: 'd:alice:bob', readSeq: 2, unread: 1 });
    expect(JSON.parse(c.published.at(-1)!.payload)).toEqual({ op: 'read', conv: 'd:alice:bob', user: 'bob', seq: 2 });
    expect(c.published.at(-1)?.userIds).toEqual(['alice', 'bob']);
    const before = c.published.length;
    expect((await c.conversations.read('bob', 'd:alice:bob', 1)).readSeq).toBe(2);
    expect(c.published.length).toBe(before); // nothing moved, nothing sent
    expect((await c.conversations.read('bob', 'd:alice:bob', 99)).readSeq).toBe(3);
    expect(await c.conversations.peerRead('alice', 'd:alice:bob')).toEqual({ conv: 'd:alice:bob', user: 'bob', readSeq: 3 });
    expect(await code(c.conversations.peerRead('carol', 'd:alice:bob'))).toBe('forbidden');
  });

  it('a group read mark goes only to the reader’s own devices', async () => {
    const g = await c.groups.create('alice', { name: 'Team', members: ['bob', 'carol'] });
    await c.messages.send({ userId: 'alice' }, { to: `g:${g.id}`, clientMsgId: 'x', ...text('hi') });
    await c.conversations.read('bob', `g:${g.id}`, 2);
    expect(c.published.at(-1)?.userIds).toEqual(['bob']);
  });
});

describe('TokenService and AuthService', () => {
  it('a login issues a token that verifies to its user and session', async () => {
    const c = core();
    const login = await c.auth.devLogin({ userId: 'dana', nickname: 'Dana' });
    expect(login.user).toEqual({ id: 'dana', nickname: 'Dana', avatarUrl: '' });
    const session = await c.auth.verify(login.token);
    expect(session.userId).toBe('dana');
    expect(c.storage.sessions.get(session.sessionId)?.userId).toBe('dana');
    expect((await c.auth.verifyWithUser(login.token)).user.nickname).toBe('Dana');
  });

  it('refuses a missing, tampered, expired or revoked token', async () => {
    const c = core();
    const { token } = await c.auth.devLogin({ userId: 'erin' });
    expect(await code(c.auth.verify(undefined))).toBe('unauthorized');
    const [data, sig] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ u: 'admin', s: 'x', e: Date.now() + 1e6 })).toString('base64url')}.${sig}`;
    expect(await code(c.auth.verify(forged))).toBe('unauthorized');
    expect(await code(c.auth.verify(`${data}.${sig}x`))).toBe('unauthorized');
    await expect(c.tokens.verify(token, Date.now() + 3600_001)).rejects.toThrow(/expired/);
    const refreshed = await c.auth.refresh(token);
    expect(await code(c.auth.verify(token))).toBe('unauthorized'); // the old session was revoked
    // The upgrade's check (session and user in one lookup) refuses the same tokens.
    await expect(c.auth.verifyWithUser(token)).rejects.toThrow(/session revoked/);
    expect(await code(c.auth.verifyWithUser(forged))).toBe('unauthorized');
    expect(await code(c.auth.verifyWithUser(`${data}.${sig}x`))).toBe('unauthorized');
    expect((await c.auth.verify(refreshed.token)).userId).toBe('erin');
    expect((await c.auth.verifyWithUser(refreshed.token)).user).toEqual({ id: 'erin', nickname: 'erin', avatarUrl: '' });
  });

  it('a token whose user is gone no longer opens a socket; dev login off answers not_found', async () => {
    const c = core({ devLogin: false });
    expect(await code(c.auth.devLogin({ userId: 'x' }))).toBe('not_found');
    const { token } = await c.auth.login('wx_fred', {}, { defaultNickname: '微信用户' });
    expect((await c.users.me('wx_fred')).nickname).toBe('微信用户');
    c.storage.users.delete('wx_fred');
    expect(await code(c.auth.verifyWithUser(token))).toBe('unauthorized');
  });

  it('parses only Bearer headers', () => {
    expect(parseBearer('Bearer abc.def ')).toBe('abc.def');
    expect(parseBearer('Basic abc')).toBeUndefined();
    expect(parseBearer(undefined)).toBeUndefined();
  });
});
