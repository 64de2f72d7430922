/**
 * The storage contract, admin part: the append-only audit log with its filters and cursor,
 * bans, a user's sessions, user search, message lookup by id, a user's messages, groups
 * and the data-subject erasure.
 */
import { expect, it } from 'vitest';
import type { AuditRow, Storage } from '../../src/storage/storage.js';
import { msg } from './storage-contract-more.js';

export function storageContractAdmin(open: () => Promise<Storage>): void {
  it('appends audit entries and lists them newest first, with filters and a cursor', async () => {
    const s = await open();
    const rows: AuditRow[] = [];
    for (let i = 0; i < 7; i++) {
      const row: AuditRow = { id: `a${i}`, at: 1000 + Math.floor(i / 2), actor: i % 2 ? 'admin' : 'moderation', action: i < 4 ? 'user.ban' : 'message.remove' };
      if (i === 3) Object.assign(row, { target: 'u1', ip: '10.0.0.1', detail: { reason: '广告 spam', n: 2, nested: { ok: true } } });
      rows.push(row);
      await s.admin.appendAudit(row);
    }
    const newestFirst = [...rows].reverse();
    const p1 = await s.admin.listAudit({}, 3);
    expect(p1.rows).toEqual(newestFirst.slice(0, 3));
    const p2 = await s.admin.listAudit({}, 3, p1.nextCursor);
    const p3 = await s.admin.listAudit({}, 3, p2.nextCursor);
    expect([...p2.rows, ...p3.rows]).toEqual(newestFirst.slice(3));
    expect(p3.nextCursor).toBeUndefined();
    expect((await s.admin.listAudit({ target: 'u1' }, 10)).rows).toEqual([rows[3]]);
    expect((await s.admin.listAudit({ actor: 'admin', action: 'user.ban' }, 10)).rows.map((r) => r.id)).toEqual(['a3', 'a1']);
    expect((await s.admin.listAudit({ since: 1001, until: 1003 }, 10)).rows.map((r) => r.id)).toEqual(['a5', 'a4', 'a3', 'a2']);
    await s.close();
  });

  it('bans, replaces and lifts a ban; lists and revokes all of a user’s sessions', async () => {
    const s = await open();
    expect(await s.admin.getBan('u1')).toBeUndefined();
    await s.admin.setBan({ userId: 'u1', at: 5, by: 'admin', reason: '刷屏' });
    await s.admin.setBan({ userId: 'u1', at: 6, by: 'admin:boss' });
    expect(await s.admin.getBan('u1')).toEqual({ userId: 'u1', at: 6, by: 'admin:boss' });
    expect(await s.admin.clearBan('u1')).toBe(true);
    expect(await s.admin.clearBan('u1')).toBe(false);
    expect(await s.admin.getBan('u1')).toBeUndefined();
    await s.createSession({ id: 's1', userId: 'u1', createdAt: 1, expiresAt: 10_000 });
    await s.createSession({ id: 's2', userId: 'u1', createdAt: 2, expiresAt: 10_000 });
    await s.createSession({ id: 's3', userId: 'u2', createdAt: 3, expiresAt: 10_000 });
    await s.revokeSession('s1', 50);
    expect(await s.admin.revokeUserSessions('u1', 100)).toBe(1);
    expect(await s.admin.listSessions('u1')).toEqual([
      { id: 's2', userId: 'u1', createdAt: 2, expiresAt: 10_000, revokedAt: 100 },
      { id: 's1', userId: 'u1', createdAt: 1, expiresAt: 10_000, revokedAt: 50 },
    ]);
    expect((await s.getSession('s3'))?.revokedAt).toBeUndefined();
    await s.close();
  });

  it('finds users by id, id prefix, nickname part and WeChat openid/unionid; LIKE wildcards are literal', async () => {
    const s = await open();
    await s.upsertUser('alice', { nickname: '爱丽丝 Alice' });
    await s.upsertUser('alina', { nickname: '100%_sure' });
    await s.upsertUser('bob', { nickname: 'Bobby' });
    await s.wechat.upsertIdentity({ userId: 'bob', appId: 'wx1', openid: 'o-123', unionid: 'un-9', sessionKeyEnc: 'x', updatedAt: 1 });
    const ids = async (q: string) => (await s.admin.searchUsers(q, 10)).map((u) => u.id);
    expect(await ids('ali')).toEqual(['alice', 'alina']);
    expect(await ids('丽丝')).toEqual(['alice']);
    expect(await ids('o-123')).toEqual(['bob']);
    expect(await ids('un-9')).toEqual(['bob']);
    expect(await ids('%_')).toEqual(['alina']);
    expect(await ids('_')).toEqual(['alina']);
    expect(await ids('nobody')).toEqual([]);
    expect(await s.admin.searchUsers('a', 1)).toHaveLength(1);
    const u1 = await s.admin.listUsers(2);
    const u2 = await s.admin.listUsers(2, u1.nextCursor);
    expect([...u1.users, ...u2.users].map((u) => u.id)).toEqual(['alice', 'alina', 'bob']);
    expect(u2.nextCursor).toBeUndefined();
    expect(await s.admin.identitiesOf('bob')).toEqual([{ userId: 'bob', appId: 'wx1', openid: 'o-123', unionid: 'un-9', sessionKeyEnc: 'x', updatedAt: 1 }]);
    await s.close();
  });

  it('looks messages up by id, pages a user’s messages, lists groups', async () => {
    const s = await open();
    const m = msg('d:a:b', 'a');
    await s.appendMessages([m, msg('d:a:b', 'b'), msg('d:a:c', 'a'), msg('d:a:b', 'a')]);
    expect(await s.admin.getMessageById(m.id)).toMatchObject({ id: m.id, conv: 'd:a:b', seq: 1, from: 'a' });
    expect(await s.admin.getMessageById('nope')).toBeUndefined();
    const p1 = await s.admin.messagesFrom('a', 2);
    const p2 = await s.admin.messagesFrom('a', 2, p1.nextCursor);
    expect([...p1.messages, ...p2.messages].map((x) => `${x.conv}#${x.seq}`)).toEqual(['d:a:b#1', 'd:a:b#3', 'd:a:c#1']);
    expect(p2.nextCursor).toBeUndefined();
    for (const id of ['g2', 'g1', 'g3']) {
      await s.groups.createGroup({ id, name: id, avatarUrl: '', owner: 'a', mutedAll: false, createdAt: 1 }, [
        { userId: 'a', role: 'owner', joinedAt: 1, mutedUntil: 0 },
      ]);
    }
    const g1 = await s.admin.listGroups(2);
    const g2 = await s.admin.listGroups(2, g1.nextCursor);
    expect([...g1.groups, ...g2.groups].map((g) => g.id)).toEqual(['g1', 'g2', 'g3']);
    expect(g2.nextCursor).toBeUndefined();
    await s.close();
  });

  it('erases a user: messages become recall stubs, profile and identities go, others and group events stay; a rerun is harmless', async () => {
    const s = await open();
    await s.upsertUser('a', { nickname: '秘密名字' });
    await s.upsertUser('b', { nickname: 'B' });
    await s.createSession({ id: 'sa', userId: 'a', createdAt: 1, expiresAt: 10_000 });
    await s.wechat.upsertIdentity({ userId: 'a', appId: 'wx1', openid: 'oa', sessionKeyEnc: 'x', updatedAt: 1 });
    await s.wechat.setPhone({ userId: 'a', phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86', appId: 'wx1', verifiedAt: 1 });
    await s.wechat.credits.add('a', 'tpl', 2);
    await s.appendMessages([
      msg('d:a:b', 'a', { body: { text: 'secret one' } }),
      msg('d:a:b', 'b', { body: { text: 'reply' } }),
      msg('d:a:b', 'a', { body: { text: 'secret two' } }),
      msg('g:g1', 'a', { kind: 'system', body: { event: 'group_created', name: 'G' } }),
    ]);
    await s.recall('d:a:b', 3, 'a', 7);
    const r = await s.admin.eraseUser('a', 'system', 99);
    expect(r.recalled).toEqual([{ conv: 'd:a:b', seq: 1 }]);
    const h = (await s.history('d:a:b', { limit: 10 })).messages;
    expect(h.map((x) => [x.seq, x.body, x.recalled])).toEqual([
      [1, {}, { by: 'system', ts: 99 }],
      [2, { text: 'reply' }, undefined],
      [3, {}, { by: 'a', ts: 7 }],
    ]);
    expect((await s.history('g:g1', { limit: 10 })).messages[0]!.body).toEqual({ event: 'group_created', name: 'G' });
    expect(await s.getUser('a')).toBeUndefined();
    expect(await s.getUser('b')).toMatchObject({ nickname: 'B' });
    expect(await s.getSession('sa')).toBeUndefined();
    expect(await s.admin.identitiesOf('a')).toEqual([]);
    expect(await s.wechat.getPhone('a')).toBeUndefined();
    expect(await s.wechat.credits.list('a')).toEqual({});
    expect(await s.admin.eraseUser('a', 'system', 100)).toEqual({ recalled: [] });
    await s.close();
  });
}
