/**
 * The storage contract: one suite, parameterised by a factory, run against
 * every backend. A backend that passes it is done.
 */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.js';
import { storageContractAdmin } from './storage-contract-admin.js';
import { msg, storageContractMore } from './storage-contract-more.js';

/** Creates an empty database and returns an opener for it (call it several times for several instances on one database). */
export type NewDatabase = () => Promise<() => Promise<Storage>>;

export function storageContract(name: string, newDatabase: NewDatabase, opts: { skip?: boolean } = {}): void {
  const open = async () => (await newDatabase())();
  describe.skipIf(opts.skip === true)(`storage contract: ${name}`, () => {
    it('assigns gap-free seqs per conversation in input order, in one batch and across batches', async () => {
      const s = await open();
      const r1 = await s.appendMessages([msg('d:a:b', 'a'), msg('d:a:c', 'a'), msg('d:a:b', 'b')]);
      expect(r1.map((r) => r.ok && r.msg.seq)).toEqual([1, 1, 2]);
      const r2 = await s.appendMessages([msg('d:a:b', 'a')]);
      expect(r2[0]!.ok && r2[0]!.msg.seq).toBe(3);
      expect((await s.getConversation('d:a:b'))?.lastSeq).toBe(3);
      await s.close();
    });

    it('dedupes (from, clientMsgId) within a batch and against stored messages', async () => {
      const s = await open();
      const first = msg('d:a:b', 'a', { clientMsgId: 'x' });
      const r = await s.appendMessages([first, msg('d:a:b', 'a', { clientMsgId: 'x' }), msg('d:a:b', 'b', { clientMsgId: 'x' })]);
      expect(r.map((x) => x.ok && [x.msg.seq, x.duplicate])).toEqual([
        [1, false],
        [1, true],
        [2, false],
      ]);
      const again = await s.appendMessages([msg('d:a:b', 'a', { clientMsgId: 'x' })]);
      expect(again[0]).toMatchObject({ ok: true, duplicate: true, msg: { id: first.id, seq: 1 } });
      await s.close();
    });

    it('pages history and recalls to a stub', async () => {
      const s = await open();
      await s.appendMessages(Array.from({ length: 5 }, () => msg('d:a:b', 'a')));
      expect((await s.history('d:a:b', { limit: 2 })).messages.map((m) => m.seq)).toEqual([4, 5]);
      expect(await s.history('d:a:b', { before: 3, limit: 5 })).toMatchObject({ hasMore: false });
      expect((await s.history('d:a:b', { after: 3, limit: 1 })).hasMore).toBe(true);
      const recalled = await s.recall('d:a:b', 2, 'a', 123);
      expect(recalled).toMatchObject({ seq: 2, body: {}, recalled: { by: 'a', ts: 123 } });
      expect(await s.getMessage('d:a:b', 9)).toBeUndefined();
      await s.close();
    });

    it('releases a recalled message’s media keys only when no other message references them', async () => {
      const s = await open();
      const img = (keys: string[]) => ({ kind: 'image' as const, body: { url: `/media/${keys[0]}` }, mediaKeys: keys });
      await s.appendMessages([
        msg('d:a:b', 'a', img(['K1.png', 'K2.jpg'])), // seq 1: an image and its (made-up) cover
        msg('d:a:b', 'b', img(['K1.png'])), // seq 2: forwarded
        msg('g:g1', 'a', img(['K3.png'])),
        msg('d:a:b', 'a', { clientMsgId: 'same', ...img(['K4.png']) }), // seq 3
      ]);
      // A resend of the same clientMsgId (a duplicate) adds no reference.
      await s.appendMessages([msg('d:a:b', 'a', { clientMsgId: 'same', ...img(['K5.png']) })]);
      expect(await s.releaseMedia('d:a:b', 3)).toEqual(['K4.png']);
      expect((await s.releaseMedia('d:a:b', 1)).sort()).toEqual(['K2.jpg']);
      expect(await s.releaseMedia('d:a:b', 1)).toEqual([]);
      expect(await s.releaseMedia('d:a:b', 9)).toEqual([]);
      expect(await s.releaseMedia('d:a:b', 2)).toEqual(['K1.png']);
      // The last two references of one key released at the same moment: exactly one release frees it.
      await s.appendMessages([msg('g:g1', 'b', img(['K3.png'])), msg('g:g1', 'c', img(['K3.png']))]);
      const freed = await Promise.all([s.releaseMedia('g:g1', 1), s.releaseMedia('g:g1', 2), s.releaseMedia('g:g1', 3)]);
      expect(freed.flat()).toEqual(['K3.png']);
      await s.close();
    });

    it('tracks membership, read marks (forward only, capped) and unread without own/system messages', async () => {
      const s = await open();
      await s.appendMessages([msg('d:a:b', 'a'), msg('d:a:b', 'b'), msg('d:a:b', 'a'), msg('d:a:b', 'a', { kind: 'system', body: { event: 'x' } })]);
      const m = await s.getMembership('d:a:b', 'b');
      expect(m).toMatchObject({ conv: 'd:a:b', kind: 'direct', lastSeq: 4, readSeq: 0 });
      expect(await s.countUnread('d:a:b', 'b', 0)).toBe(2);
      expect(await s.markRead('d:a:b', 'b', 2)).toBe(2);
      expect(await s.markRead('d:a:b', 'b', 1)).toBe(2);
      expect(await s.markRead('d:a:b', 'b', 100)).toBe(4);
      expect(await s.countUnread('d:a:b', 'b', 4)).toBe(0);
      expect(await s.getMembership('d:a:b', 'z')).toBeUndefined();
      await s.close();
    });

    it('lists a user’s conversations newest first with a cursor', async () => {
      const s = await open();
      for (const [i, peer] of ['p', 'q', 'r'].entries()) await s.appendMessages([msg(`d:a:${peer}`, 'a', { ts: 1000 + i })]);
      const page1 = await s.listForUser('a', 2);
      expect(page1.rows.map((r) => r.conv)).toEqual(['d:a:r', 'd:a:q']);
      const page2 = await s.listForUser('a', 2, page1.nextCursor);
      expect(page2.rows.map((r) => r.conv)).toEqual(['d:a:p']);
      expect(page2.nextCursor).toBeUndefined();
      await s.close();
    });

    it('stores users, profiles and sessions', async () => {
      const s = await open();
      const u = await s.upsertUser('a', { nickname: '甲' });
      expect(u).toMatchObject({ id: 'a', nickname: '甲', avatarUrl: '' });
      expect(await s.upsertUser('a', {})).toMatchObject({ nickname: '甲' });
      expect(await s.updateProfile('a', { avatarUrl: 'https://x/y' })).toMatchObject({ nickname: '甲', avatarUrl: 'https://x/y' });
      expect(await s.updateProfile('nobody', { nickname: 'x' })).toBeUndefined();
      expect([...(await s.getUsers(['a', 'b'])).keys()]).toEqual(['a']);
      await s.createSession({ id: 's1', userId: 'a', createdAt: 1, expiresAt: 2 });
      await s.revokeSession('s1', 5);
      expect(await s.getSession('s1')).toEqual({ id: 's1', userId: 'a', createdAt: 1, expiresAt: 2, revokedAt: 5 });
      // The upgrade's one-query lookup: the same session row plus its user, or no user when it is gone.
      expect(await s.getSessionWithUser('s1')).toEqual({
        session: { id: 's1', userId: 'a', createdAt: 1, expiresAt: 2, revokedAt: 5 },
        user: { id: 'a', nickname: '甲', avatarUrl: 'https://x/y', createdAt: u.createdAt },
      });
      await s.createSession({ id: 's0', userId: 'gone', createdAt: 1, expiresAt: 100 });
      expect(await s.getSessionWithUser('s0')).toEqual({ session: { id: 's0', userId: 'gone', createdAt: 1, expiresAt: 100 } });
      expect(await s.getSessionWithUser('nope')).toBeUndefined();
      // Lookups made together (a crowd of upgrades; SQL backends share one query): each gets its own answer, a repeated id too.
      const together = await Promise.all(['s1', 'nope', 's0', 's1'].map((id) => s.getSessionWithUser(id)));
      expect(together.map((r) => (r ? `${r.session.id}:${r.user?.id ?? '-'}` : 'none'))).toEqual(['s1:a', 'none', 's0:-', 's1:a']);
      // Pruning drops expired and revoked sessions only.
      await s.createSession({ id: 's2', userId: 'a', createdAt: 1, expiresAt: 100 });
      await s.createSession({ id: 's3', userId: 'a', createdAt: 1, expiresAt: 100 });
      await s.revokeSession('s3', 6);
      expect(await s.pruneSessions(10)).toBe(2);
      expect(await s.getSession('s1')).toBeUndefined();
      expect(await s.getSession('s3')).toBeUndefined();
      expect((await s.getSession('s2'))?.expiresAt).toBe(100);
      await s.close();
    });

    it('stores WeChat identities per (appId, openid) and finds a user’s latest one', async () => {
      const s = await open();
      await s.wechat.upsertIdentity({ userId: 'u1', appId: 'wxA', openid: 'oA', unionid: 'un', sessionKeyEnc: 'v1.e1', updatedAt: 10 });
      await s.wechat.upsertIdentity({ userId: 'u1', appId: 'wxB', openid: 'oB', sessionKeyEnc: 'v1.e2', updatedAt: 20 });
      expect(await s.wechat.getIdentity('u1')).toEqual({ userId: 'u1', appId: 'wxB', openid: 'oB', sessionKeyEnc: 'v1.e2', updatedAt: 20 });
      expect(await s.wechat.getIdentity('u1', 'wxA')).toMatchObject({ openid: 'oA', unionid: 'un' });
      // A new login replaces the session key and keeps the unionid when WeChat did not send it again.
      await s.wechat.upsertIdentity({ userId: 'u1', appId: 'wxA', openid: 'oA', sessionKeyEnc: 'v1.e3', updatedAt: 30 });
      expect(await s.wechat.getIdentity('u1')).toMatchObject({ appId: 'wxA', unionid: 'un', sessionKeyEnc: 'v1.e3' });
      expect(await s.wechat.getIdentity('nobody')).toBeUndefined();
      expect(await s.wechat.getIdentity('u1', 'wxC')).toBeUndefined();
      await s.close();
    });

    it('adds, lists, drops and consumes subscribe credits atomically', async () => {
      const s = await open();
      const c = s.wechat.credits;
      expect(await c.add('u', 'T1', 1)).toBe(1);
      expect(await c.add('u', 'T1', 2)).toBe(3);
      await c.add('u', 'T2', 1);
      expect(await c.list('u')).toEqual({ T1: 3, T2: 1 });
      await c.drop('u', 'T2');
      expect(await c.list('u')).toEqual({ T1: 3 });
      // 10 concurrent consumers of 3 credits: exactly 3 succeed.
      const took = await Promise.all(Array.from({ length: 10 }, () => c.consume('u', 'T1')));
      expect(took.filter(Boolean)).toHaveLength(3);
      expect(await c.consume('u', 'T1')).toBe(false);
      expect(await c.consume('nobody', 'T1')).toBe(false);
      expect(await c.list('u')).toEqual({});
      await s.close();
    });

    it('claims one notification slot per (user, conv) per window, and releases it', async () => {
      const s = await open();
      const t = s.wechat.throttle;
      expect(await t.claim('u', 'd:a:b', 1000, 5000)).toBe(true);
      expect(await t.claim('u', 'd:a:b', 1000, 5500)).toBe(false);
      expect(await t.claim('u', 'g:x', 1000, 5500)).toBe(true);
      expect(await t.claim('v', 'd:a:b', 1000, 5500)).toBe(true);
      expect(await t.claim('u', 'd:a:b', 1000, 6000)).toBe(true);
      await t.release('u', 'd:a:b');
      expect(await t.claim('u', 'd:a:b', 1000, 6001)).toBe(true);
      await s.close();
    });

    it('keeps media-check traces until deleted', async () => {
      const s = await open();
      const tr = s.wechat.traces;
      await tr.put('trace-1', { conv: 'd:a:b', seq: 3, msgId: 'm3', userId: 'a', url: 'https://x/1.png' });
      await tr.put('trace-2', { conv: 'g:g1', seq: 1, userId: 'b', url: 'https://x/2.mp3' });
      expect(await tr.get('trace-1')).toEqual({ conv: 'd:a:b', seq: 3, msgId: 'm3', userId: 'a', url: 'https://x/1.png' });
      expect(await tr.get('trace-2')).toEqual({ conv: 'g:g1', seq: 1, userId: 'b', url: 'https://x/2.mp3' });
      await tr.delete('trace-1');
      expect(await tr.get('trace-1')).toBeUndefined();
      expect(await tr.get('unknown')).toBeUndefined();
      // A retried check keeps what is needed to ask again.
      const retry = { conv: 'g:g1', seq: 2, userId: 'b', url: 'https://x/3.png', mediaType: 'image' as const, openid: 'oB', appId: 'wx1', attempt: 2 };
      await tr.put('trace-3', retry);
      expect(await tr.get('trace-3')).toEqual(retry);
      await s.close();
    });

    it('keeps one verified phone number per user', async () => {
      const s = await open();
      const w = s.wechat;
      expect(await w.getPhone('a')).toBeUndefined();
      const phone = { userId: 'a', phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86', appId: 'wx1', verifiedAt: 1 };
      await w.setPhone(phone);
      expect(await w.getPhone('a')).toEqual(phone);
      await w.setPhone({ ...phone, phoneNumber: '+12025550100', purePhoneNumber: '2025550100', countryCode: '1', verifiedAt: 2 });
      expect(await w.getPhone('a')).toMatchObject({ phoneNumber: '+12025550100', countryCode: '1', verifiedAt: 2 });
      expect(await w.getPhone('b')).toBeUndefined();
      await s.close();
    });
    storageContractMore(open, newDatabase);
    storageContractAdmin(open);
  });
}
