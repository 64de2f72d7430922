/**
 * The second half of the storage contract: groups, batch-shaped reads, Unicode, rollback
 * and several storage instances appending to one database at the same moment.
 */
import { expect, it } from 'vitest';
import type { NewMessage, Storage } from '../../src/storage/storage.js';

let n = 0;
export function msg(conv: string, from: string, over: Partial<NewMessage> = {}): NewMessage {
  const [, a, b] = conv.split(':');
  n++;
  return {
    id: `id${n}-${Math.random().toString(36).slice(2)}`,
    conv,
    members: conv.startsWith('d:') ? [a!, b!] : [],
    from,
    kind: 'text',
    body: { text: `t${n}` },
    ts: Date.now(),
    ...over,
  };
}

const member = (userId: string, role: 'owner' | 'admin' | 'member' = 'member') => ({ userId, role, joinedAt: 1, mutedUntil: 0 });

export function storageContractMore(open: () => Promise<Storage>, newDatabase: () => Promise<() => Promise<Storage>>): void {
  it('answers ping, unknown rows as undefined, and users in one batch', async () => {
    const s = await open();
    await s.ping();
    expect(await s.getConversation('d:x:y')).toBeUndefined();
    expect(await s.getMessage('d:x:y', 1)).toBeUndefined();
    expect(await s.getUser('nobody')).toBeUndefined();
    expect(await s.getSession('nope')).toBeUndefined();
    expect(await s.history('d:x:y', { limit: 10 })).toEqual({ messages: [], hasMore: false });
    await s.upsertUser('u1', { nickname: 'One', avatarUrl: 'https://a/1' });
    await s.upsertUser('u2', {});
    const users = await s.getUsers(['u1', 'u2', 'u1', 'ghost']);
    expect([...users.keys()].sort()).toEqual(['u1', 'u2']);
    expect(users.get('u1')).toMatchObject({ id: 'u1', nickname: 'One', avatarUrl: 'https://a/1' });
    expect(users.get('u2')).toMatchObject({ nickname: 'u2', avatarUrl: '' });
    expect(typeof users.get('u1')!.createdAt).toBe('number');
    expect((await s.getUsers([])).size).toBe(0);
    await s.createSession({ id: 's2', userId: 'u1', createdAt: 1_700_000_000_000, expiresAt: 1_800_000_000_000 });
    expect(await s.getSession('s2')).toEqual({ id: 's2', userId: 'u1', createdAt: 1_700_000_000_000, expiresAt: 1_800_000_000_000 });
    await s.close();
  });

  it('keeps Chinese text and emoji (4-byte UTF-8) intact, and ids are case-sensitive', async () => {
    const s = await open();
    await s.upsertUser('wang', { nickname: '王小明😀' });
    await s.upsertUser('Wang', { nickname: 'W' });
    expect(await s.getUser('wang')).toMatchObject({ nickname: '王小明😀' });
    expect(await s.getUser('Wang')).toMatchObject({ nickname: 'W' });
    const text = '你好，世界 🎉👨‍👩‍👧 𠮷';
    const [r] = await s.appendMessages([msg('d:Wang:wang', 'wang', { body: { text }, clientMsgId: '消息-1' })]);
    expect(r).toMatchObject({ ok: true, msg: { seq: 1, body: { text }, clientMsgId: '消息-1' } });
    expect((await s.history('d:Wang:wang', { limit: 5 })).messages[0]).toMatchObject({ body: { text } });
    const [dup] = await s.appendMessages([msg('d:Wang:wang', 'wang', { clientMsgId: '消息-1' })]);
    expect(dup).toMatchObject({ ok: true, duplicate: true, msg: { seq: 1 } });
    // A lone surrogate (valid in a JS string, not in UTF-8) fails neither its message nor the batch; key order and
    // escapes of the body survive. In a clientMsgId it is stored as UTF-8 stores it (U+FFFD) and still dedupes.
    const odd = { z: 1, text: 'a\ud800b\u0000', a: [1, { y: 2, x: 3 }] };
    const batch = await s.appendMessages([msg('d:Wang:wang', 'Wang', { body: odd, clientMsgId: 'x\udc00' }), msg('d:Wang:wang', 'wang')]);
    expect(batch.map((b) => b.ok && b.msg.seq)).toEqual([2, 3]);
    const stored = (await s.history('d:Wang:wang', { after: 1, limit: 5 })).messages[0]!;
    expect(JSON.stringify(stored.body)).toBe(JSON.stringify(odd));
    const [again] = await s.appendMessages([msg('d:Wang:wang', 'Wang', { clientMsgId: 'x\udc00' })]);
    expect(again).toMatchObject({ ok: true, duplicate: true, msg: { seq: 2 } });
    await s.close();
  });

  it('creates, updates and lists groups and their members; new members start read at the last seq', async () => {
    const s = await open();
    const g = s.groups;
    await g.createGroup({ id: 'g1', name: '群一', avatarUrl: '', owner: 'a', mutedAll: false, createdAt: 100 }, [member('a', 'owner'), member('b')]);
    expect(await g.getGroup('g1')).toEqual({ id: 'g1', name: '群一', avatarUrl: '', owner: 'a', mutedAll: false, createdAt: 100 });
    expect(await g.getGroup('nope')).toBeUndefined();
    expect(await s.getConversation('g:g1')).toMatchObject({ conv: 'g:g1', kind: 'group', lastSeq: 0 });
    await g.updateGroup('g1', { name: 'G', mutedAll: true, disbandedAt: 500 });
    expect(await g.getGroup('g1')).toMatchObject({ name: 'G', mutedAll: true, disbandedAt: 500 });
    await g.updateGroup('g1', {});
    await s.appendMessages([msg('g:g1', 'a'), msg('g:g1', 'b')]);
    await g.addMembers('g1', [member('c'), member('a')]); // a is already a member: kept as is
    expect((await s.getMembership('g:g1', 'c'))?.readSeq).toBe(2);
    expect((await s.getMembership('g:g1', 'a'))?.readSeq).toBe(0);
    await g.updateMember('g1', 'b', { role: 'admin', mutedUntil: 9000 });
    await g.updateMember('g1', 'b', {});
    const members = (await g.listMembers('g1')).sort((x, y) => x.userId.localeCompare(y.userId));
    expect(members).toEqual([
      { userId: 'a', role: 'owner', joinedAt: 1, mutedUntil: 0 },
      { userId: 'b', role: 'admin', joinedAt: 1, mutedUntil: 9000 },
      { userId: 'c', role: 'member', joinedAt: 1, mutedUntil: 0 },
    ]);
    await g.removeMember('g1', 'c');
    expect((await g.listMembers('g1')).map((m) => m.userId).sort()).toEqual(['a', 'b']);
    expect(await g.listMembers('none')).toEqual([]);
    await s.close();
  });

  it('pages readers of a seq and finds unread mentions of a user or everyone', async () => {
    const s = await open();
    const g = s.groups;
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];
    await g.createGroup(
      { id: 'g2', name: 'x', avatarUrl: '', owner: 'm1', mutedAll: false, createdAt: 1 },
      ids.map((u) => member(u)),
    );
    await s.appendMessages([
      msg('g:g2', 'm1'),
      msg('g:g2', 'm1', { body: { text: '@m2', mentions: ['m2'] } }),
      msg('g:g2', 'm1', { body: { text: '@all', mentionAll: true } }),
      msg('g:g2', 'm1', { body: { text: '@m5', mentions: ['m5'] } }),
    ]);
    for (const [u, seq] of [
      ['m2', 2],
      ['m3', 3],
      ['m4', 1],
      ['m5', 4],
    ] as const)
      await s.markRead('g:g2', u, seq);
    const p1 = await g.readers('g:g2', 2, 2);
    expect(p1).toEqual({ count: 3, userIds: ['m2', 'm3'], nextCursor: 'm3' });
    expect(await g.readers('g:g2', 2, 2, p1.nextCursor)).toEqual({ count: 3, userIds: ['m5'] });
    expect(await g.readers('g:g2', 9, 10)).toEqual({ count: 0, userIds: [] });
    expect(await g.hasMention('g:g2', 'm2', 0)).toBe(true); // seq 2 names m2, seq 3 is @all
    expect(await g.hasMention('g:g2', 'm4', 3)).toBe(false); // only seq 4 (for m5) is after 3
    expect(await g.hasMention('g:g2', 'm5', 3)).toBe(true);
    await s.recall('g:g2', 4, 'm1', 10);
    expect(await g.hasMention('g:g2', 'm5', 3)).toBe(false); // recalled mentions do not count
    await s.close();
  });

  it('summarises a page of conversations: unread, last message, mention', async () => {
    const s = await open();
    await s.groups.createGroup({ id: 'g3', name: 'x', avatarUrl: '', owner: 'a', mutedAll: false, createdAt: 1 }, [member('a'), member('b')]);
    await s.appendMessages([
      msg('d:a:b', 'a'),
      msg('d:a:b', 'b'),
      msg('d:a:b', 'a', { body: { text: 'last' } }),
      msg('d:a:c', 'a'),
      msg('g:g3', 'a', { body: { text: '@b', mentions: ['b'] } }),
      msg('g:g3', 'a', { kind: 'system', body: { event: 'x' } }),
    ]);
    await s.markRead('d:a:b', 'b', 1);
    const page = await s.listForUser('b', 10);
    const sum = await s.summarize('b', page.rows);
    expect(sum.get('d:a:b')).toMatchObject({ unread: 1, mentioned: false, lastMessage: { seq: 3, body: { text: 'last' } } });
    expect(sum.get('g:g3')).toMatchObject({ unread: 1, mentioned: true, lastMessage: { seq: 2, kind: 'system' } });
    expect(sum.has('d:a:c')).toBe(false);
    const forA = await s.summarize('a', (await s.listForUser('a', 10)).rows);
    expect(forA.get('d:a:c')).toMatchObject({ unread: 0, mentioned: false, lastMessage: { seq: 1 } });
    expect(forA.get('d:a:b')).toMatchObject({ unread: 1 });
    expect((await s.summarize('a', [])).size).toBe(0);
    await s.close();
  });

  it('rolls a failed batch back whole: nothing half-written, and seqs stay gap-free', async () => {
    const s = await open();
    const [first] = await s.appendMessages([msg('d:a:b', 'a')]);
    const takenId = first!.ok ? first!.msg.id : '';
    // The second message reuses a stored id: the transaction fails, the new conversation and the first message with it.
    await expect(s.appendMessages([msg('d:a:b', 'a'), msg('d:a:z', 'a'), msg('d:a:b', 'b', { id: takenId })])).rejects.toThrow();
    expect(await s.getConversation('d:a:z')).toBeUndefined();
    expect(await s.getMembership('d:a:z', 'a')).toBeUndefined();
    expect((await s.getConversation('d:a:b'))?.lastSeq).toBe(1);
    const [next] = await s.appendMessages([msg('d:a:b', 'a')]);
    expect(next).toMatchObject({ ok: true, msg: { seq: 2 } });
    // A group whose id exists already: neither a second conversation nor any member is written.
    await s.groups.createGroup({ id: 'gr', name: 'x', avatarUrl: '', owner: 'a', mutedAll: false, createdAt: 1 }, [member('a')]);
    await expect(s.groups.createGroup({ id: 'gr', name: 'y', avatarUrl: '', owner: 'q', mutedAll: false, createdAt: 2 }, [member('q')])).rejects.toThrow();
    expect(await s.getMembership('g:gr', 'q')).toBeUndefined();
    expect(await s.groups.getGroup('gr')).toMatchObject({ name: 'x' });
    await s.close();
  });

  it('keeps call order per conversation and (from, clientMsgId) dedupe across batches in flight on one instance', async () => {
    const s = await open();
    // Calls not awaited in between: a backend may run them at once (PostgreSQL: two in flight).
    const calls = Array.from({ length: 8 }, (_, b) =>
      s.appendMessages([
        msg(b % 2 === 0 ? 'd:a:b' : 'd:a:c', 'a', { body: { text: `${b}` } }),
        msg('d:a:d', 'a', { body: { text: `${b}` } }),
        // The same (from, clientMsgId) in every call, in conversations the calls do not share otherwise.
        msg(`d:a:x${b}`, 'a', { clientMsgId: 'same', body: { text: `dup ${b}` } }),
      ]),
    );
    const results = (await Promise.all(calls)).flat();
    expect(results.every((r) => r.ok)).toBe(true);
    for (const [conv, texts] of [
      ['d:a:b', ['0', '2', '4', '6']],
      ['d:a:c', ['1', '3', '5', '7']],
      ['d:a:d', ['0', '1', '2', '3', '4', '5', '6', '7']],
    ] as const) {
      const { messages } = await s.history(conv, { limit: 100 });
      expect(messages.map((m) => m.seq)).toEqual(texts.map((_, k) => k + 1));
      expect(messages.map((m) => (m.body as { text: string }).text)).toEqual(texts);
    }
    const same = results.filter((r) => r.ok && r.msg.clientMsgId === 'same');
    expect(same.filter((r) => r.ok && !r.duplicate)).toHaveLength(1);
    expect(new Set(same.map((r) => r.ok && `${r.msg.conv}/${r.msg.seq}`)).size).toBe(1);
    await s.close();
  });

  it('keeps seqs gap-free and unique, sender order and (from, clientMsgId) dedupe with 3 instances appending at once', async () => {
    const openShared = await newDatabase();
    const instances: Storage[] = [];
    for (let i = 0; i < 3; i++) instances.push(await openShared());
    const convs = ['d:p:q', 'd:p:r', 'd:q:r'];
    const batches = 12;
    const runs = instances.map((s, i) =>
      Promise.all(
        Array.from({ length: batches }, (_, b) =>
          s.appendMessages([
            ...convs.map((c) => msg(c, 'p', { body: { text: `${i}/${b}` } })),
            // Every instance sends the same (from, clientMsgId): stored once.
            msg('d:p:q', 'q', { clientMsgId: `shared-${b}`, body: { text: `dup ${b}` } }),
          ]),
        ),
      ),
    );
    const results = (await Promise.all(runs)).flat(2);
    expect(results.every((r) => r.ok)).toBe(true);
    const reader = instances[0]!;
    for (const c of convs) {
      const { messages } = await reader.history(c, { limit: 1000 });
      const expected = c === 'd:p:q' ? 3 * batches + batches : 3 * batches;
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: expected }, (_, k) => k + 1));
      expect((await reader.getConversation(c))?.lastSeq).toBe(expected);
      // Each instance's batches were appended in call order: their seqs in one conversation rise.
      for (let i = 0; i < 3; i++) {
        const mine = messages.filter((m) => m.from === 'p' && (m.body as { text: string }).text.startsWith(`${i}/`));
        expect(mine.map((m) => Number((m.body as { text: string }).text.split('/')[1]))).toEqual(Array.from({ length: batches }, (_, b) => b));
      }
    }
    const shared = results.filter((r) => r.ok && r.msg.clientMsgId?.startsWith('shared-'));
    expect(shared).toHaveLength(3 * batches);
    for (let b = 0; b < batches; b++) {
      const copies = shared.filter((r) => r.ok && r.msg.clientMsgId === `shared-${b}`);
      expect(new Set(copies.map((r) => r.ok && r.msg.id)).size).toBe(1);
      expect(copies.filter((r) => r.ok && !r.duplicate)).toHaveLength(1);
    }
    await Promise.all(instances.map((s) => s.close()));
  });
}
