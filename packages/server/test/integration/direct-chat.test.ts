import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';

const text = (t: string) => ({ kind: 'text', body: { text: t } });

describe('direct chat over WebSocket', () => {
  it('says hello with the user, session, heartbeat and limits', async () => {
    const s = await startServer({ heartbeatMs: 25_000 });
    const c = await s.connect(await s.login('alice', '爱丽丝'));
    expect(c.hello).toMatchObject({
      op: 'hello',
      user: { id: 'alice', nickname: '爱丽丝', avatarUrl: '' },
      heartbeatMs: 25_000,
      limits: { maxFrameBytes: 65536, maxTextChars: 5000, historyMaxLimit: 100, recallWindowMs: 120_000 },
    });
    expect(typeof c.hello.sessionId).toBe('string');
    expect(Math.abs(c.hello.serverTime - Date.now())).toBeLessThan(5000);
  });

  it('acks after commit and delivers to every session of both users except the sending one', async () => {
    const s = await startServer();
    const ta = await s.login('alice');
    const tb = await s.login('bob');
    const a1 = await s.connect(ta);
    const a2 = await s.connect(ta);
    const b1 = await s.connect(tb);
    const b2 = await s.connect(tb);
    const ack = await a1.request({ op: 'send', to: 'u:bob', clientMsgId: 'm1', ...text('你好 bob') });
    expect(ack.op).toBe('ack');
    expect(ack.msg).toMatchObject({ conv: 'd:alice:bob', seq: 1, from: 'alice', kind: 'text', body: { text: '你好 bob' }, clientMsgId: 'm1' });
    for (const c of [a2, b1, b2]) {
      const f = await c.waitFor((x) => x.op === 'msg');
      expect(f.msg).toEqual(ack.msg);
    }
    // The sending session got the ack, not a duplicate push.
    await b1.request({ op: 'ping' });
    expect(a1.msgs()).toHaveLength(0);
    // Persisted: visible over HTTP history.
    const h = await s.http('GET', '/api/conversations/d:alice:bob/messages', { token: tb });
    expect(h.body.messages).toEqual([ack.msg]);
  });

  it('returns the original message for a resend with the same clientMsgId and stores one', async () => {
    const s = await startServer();
    const ta = await s.login('alice');
    const tb = await s.login('bob');
    const a = await s.connect(ta);
    const b = await s.connect(tb);
    const [first, second] = await Promise.all([
      a.request({ op: 'send', to: 'u:bob', clientMsgId: 'same', ...text('one') }),
      a.request({ op: 'send', to: 'u:bob', clientMsgId: 'same', ...text('one') }),
    ]);
    const third = await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'same', ...text('one again') });
    const viaHttp = await s.http('POST', '/api/messages', { token: ta, body: { to: 'u:bob', clientMsgId: 'same', ...text('x') } });
    for (const r of [second.msg, third.msg, viaHttp.body.msg]) {
      expect(r.id).toBe(first.msg.id);
      expect(r.seq).toBe(first.msg.seq);
    }
    const h = await s.http('GET', '/api/conversations/d:alice:bob/messages', { token: ta });
    expect(h.body.messages).toHaveLength(1);
    await a.request({ op: 'ping' });
    await b.request({ op: 'ping' });
    expect(b.msgs()).toHaveLength(1);
  });

  it('pages history before and after, ascending, with hasMore', async () => {
    const s = await startServer();
    const ta = await s.login('alice');
    await s.login('bob');
    const a = await s.connect(ta);
    for (let i = 1; i <= 7; i++) await a.request({ op: 'send', to: 'u:bob', clientMsgId: `h${i}`, ...text(`m${i}`) });
    const latest = await a.request({ op: 'history', conv: 'd:alice:bob', limit: 3 });
    expect(latest).toMatchObject({ op: 'history', conv: 'd:alice:bob', hasMore: true });
    expect(latest.messages.map((m: any) => m.seq)).toEqual([5, 6, 7]);
    const before = await a.request({ op: 'history', conv: 'd:alice:bob', before: 5, limit: 3 });
    expect(before.messages.map((m: any) => m.seq)).toEqual([2, 3, 4]);
    expect(before.hasMore).toBe(true);
    const first = await a.request({ op: 'history', conv: 'd:alice:bob', before: 2, limit: 3 });
    expect(first.messages.map((m: any) => m.seq)).toEqual([1]);
    expect(first.hasMore).toBe(false);
    const after = await a.request({ op: 'history', conv: 'd:alice:bob', after: 4 });
    expect(after.messages.map((m: any) => m.seq)).toEqual([5, 6, 7]);
    expect(after.hasMore).toBe(false);
    const httpAfter = await s.http('GET', '/api/conversations/d:alice:bob/messages?after=2&limit=2', { token: ta });
    expect(httpAfter.body.messages.map((m: any) => m.seq)).toEqual([3, 4]);
    expect(httpAfter.body.hasMore).toBe(true);
  });

  it('counts unread, moves read marks forward only, and tells the peer and own other devices', async () => {
    const s = await startServer();
    const ta = await s.login('alice');
    const tb = await s.login('bob');
    const a = await s.connect(ta);
    const b1 = await s.connect(tb);
    const b2 = await s.connect(tb);
    for (let i = 1; i <= 4; i++) await a.request({ op: 'send', to: 'u:bob', clientMsgId: `u${i}`, ...text(`m${i}`) });
    await b1.request({ op: 'send', to: 'u:alice', clientMsgId: 'b1', ...text('reply') });
    let convs = await b1.request({ op: 'convs' });
    expect(convs.conversations).toHaveLength(1);
    expect(convs.conversations[0]).toMatchObject({
      conv: 'd:alice:bob',
      kind: 'direct',
      peer: { id: 'alice' },
      lastSeq: 5,
      readSeq: 0,
      unread: 4, // bob's own message does not count
      lastMessage: { seq: 5, from: 'bob' },
    });
    const ack = await b1.request({ op: 'read', conv: 'd:alice:bob', seq: 2 });
    expect(ack).toMatchObject({ op: 'ack', conv: 'd:alice:bob', readSeq: 2, unread: 2 });
    const seen = await a.waitFor((f) => f.op === 'read');
    expect(seen).toEqual({ op: 'read', conv: 'd:alice:bob', user: 'bob', seq: 2 });
    expect(await b2.waitFor((f) => f.op === 'read')).toEqual(seen);
    // Backwards is a no-op; beyond lastSeq is capped.
    const back = await s.http('POST', '/api/conversations/d:alice:bob/read', { token: tb, body: { seq: 1 } });
    expect(back.body).toEqual({ conv: 'd:alice:bob', readSeq: 2, unread: 2 });
    const far = await s.http('POST', '/api/conversations/d:alice:bob/read', { token: tb, body: { seq: 999 } });
    expect(far.body).toEqual({ conv: 'd:alice:bob', readSeq: 5, unread: 0 });
    convs = await b1.request({ op: 'convs' });
    expect(convs.conversations[0]).toMatchObject({ unread: 0, readSeq: 5 });
    // alice's view: one unread (bob's reply).
    const aliceConvs = await s.http('GET', '/api/conversations', { token: ta });
    expect(aliceConvs.body.conversations[0]).toMatchObject({ unread: 1, peer: { id: 'bob' } });
  });

  it('lists conversations newest first and pages them with a cursor', async () => {
    const s = await startServer();
    const ta = await s.login('alice');
    for (const p of ['p1', 'p2', 'p3']) await s.login(p);
    const a = await s.connect(ta);
    for (const p of ['p1', 'p2', 'p3']) {
      await a.request({ op: 'send', to: `u:${p}`, clientMsgId: `to-${p}`, ...text('hi') });
      await new Promise((r) => setTimeout(r, 5));
    }
    const page1 = await a.request({ op: 'convs', limit: 2 });
    expect(page1.conversations.map((c: any) => c.peer.id)).toEqual(['p3', 'p2']);
    expect(typeof page1.nextCursor).toBe('string');
    const page2 = await s.http('GET', `/api/conversations?limit=2&cursor=${page1.nextCursor}`, { token: ta });
    expect(page2.body.conversations.map((c: any) => c.peer.id)).toEqual(['p1']);
    expect(page2.body.nextCursor).toBeUndefined();
  });

  it('answers ping with pong, relays typing to the peer only, and reports presence', async () => {
    const s = await startServer();
    const ta = await s.login('alice');
    const tb = await s.login('bob');
    const a = await s.connect(ta);
    const pong = await a.request({ op: 'ping', rid: 'p1' });
    expect(pong).toMatchObject({ op: 'pong', rid: 'p1' });
    expect(typeof pong.ts).toBe('number');
    const watch = await a.request({ op: 'presence', users: ['bob', 'carol'], watch: true });
    expect(watch).toMatchObject({ op: 'presence', online: { bob: false, carol: false } });
    const b = await s.connect(tb);
    expect(await a.waitFor((f) => f.op === 'presence' && f.user === 'bob')).toEqual({ op: 'presence', user: 'bob', online: true });
    b.send({ op: 'typing', to: 'u:alice' });
    expect(await a.waitFor((f) => f.op === 'typing')).toEqual({ op: 'typing', conv: 'd:alice:bob', user: 'bob' });
    const p = await s.http('GET', '/api/presence?users=alice,bob,carol', { token: tb });
    expect(p.body).toEqual({ online: { alice: true, bob: true, carol: false } });
    b.close();
    expect(await a.next((f) => f.op === 'presence' && f.user === 'bob')).toEqual({ op: 'presence', user: 'bob', online: false });
  });

  it('recalls within the window for the sender only, and history shows the stub', async () => {
    const s = await startServer({ recallWindowMs: 400 });
    const ta = await s.login('alice');
    const tb = await s.login('bob');
    const a = await s.connect(ta);
    const b = await s.connect(tb);
    const m1 = await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'r1', ...text('secret') });
    const notSender = await b.request({ op: 'recall', conv: 'd:alice:bob', seq: m1.msg.seq });
    expect(notSender).toMatchObject({ op: 'error', code: 'forbidden' });
    const ok = await a.request({ op: 'recall', conv: 'd:alice:bob', seq: m1.msg.seq });
    expect(ok).toMatchObject({ op: 'ack', conv: 'd:alice:bob', seq: 1 });
    expect(await b.waitFor((f) => f.op === 'recalled')).toEqual({ op: 'recalled', conv: 'd:alice:bob', seq: 1, by: 'alice' });
    const h = await b.request({ op: 'history', conv: 'd:alice:bob' });
    expect(h.messages[0]).toMatchObject({ seq: 1, body: {}, recalled: { by: 'alice' } });
    expect(JSON.stringify(h)).not.toContain('secret');
    const convs = await b.request({ op: 'convs' });
    expect(JSON.stringify(convs)).not.toContain('secret');
    const m2 = await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'r2', ...text('late') });
    await new Promise((r) => setTimeout(r, 450));
    expect(await a.request({ op: 'recall', conv: 'd:alice:bob', seq: m2.msg.seq })).toMatchObject({
      op: 'error',
      code: 'recall_window_passed',
    });
    expect(await a.request({ op: 'recall', conv: 'd:alice:bob', seq: 99 })).toMatchObject({ op: 'error', code: 'not_found' });
  });

  it('keeps seq gap-free and strictly increasing under 200 concurrent senders', async () => {
    const s = await startServer({ rateLimits: false, maxSocketsPerUser: 200 });
    const ta = await s.login('alice');
    const tb = await s.login('bob');
    const clients = await Promise.all(Array.from({ length: 200 }, (_, i) => s.connect(i % 2 ? ta : tb)));
    const per = 3;
    const acks = await Promise.all(
      clients.flatMap((c, i) =>
        Array.from({ length: per }, (_, k) => c.request({ op: 'send', to: i % 2 ? 'u:bob' : 'u:alice', clientMsgId: `c${i}-${k}`, ...text(`${i}/${k}`) })),
      ),
    );
    const seqs = acks.map((a) => a.msg.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 200 * per }, (_, i) => i + 1));
    // Every session sees the others' messages in seq order.
    const watcher = clients[0]!;
    await watcher.request({ op: 'ping' });
    const h = await s.http('GET', '/api/conversations/d:alice:bob/messages?limit=100&after=500', { token: ta });
    expect(h.body.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 501 + i));
    const pushed = watcher.msgs().map((m) => m.seq);
    expect(pushed).toEqual([...pushed].sort((x, y) => x - y));
  });
});
