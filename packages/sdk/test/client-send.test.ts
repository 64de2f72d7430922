import { describe, expect, it } from 'vitest';
import { connectSynced, makeClient } from './support/clients.js';
import { controlledWebSocket } from './support/controlled-ws.js';
import { startServer, until } from './support/server.js';

describe('SDK against the real server: send and ack', () => {
  it('sends a text, resolves with the acked message, and the peer receives it once', async () => {
    const s = await startServer();
    const alice = await makeClient(s, 'alice');
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    const seen: string[] = [];
    bob.on('message', (m) => seen.push(`${m.id}:${m.status}`));
    const statuses: string[] = [];
    alice.on('message', (m) => statuses.push(m.status));
    const msg = await alice.sendText('u:bob', '你好');
    expect(msg).toMatchObject({
      conv: 'd:alice:bob',
      seq: 1,
      from: 'alice',
      kind: 'text',
      body: { text: '你好' },
      status: 'sent',
    });
    expect(statuses).toEqual(['sending', 'sent']);
    await until(() => bob.messages('d:alice:bob').length === 1, 'bob receives');
    expect(bob.messages('d:alice:bob')[0]).toMatchObject({ id: msg.id, seq: 1, status: 'sent' });
    expect(seen).toEqual([`${msg.id}:sent`]);
    expect(bob.conversation('d:alice:bob')).toMatchObject({ unread: 1, lastSeq: 1 });
    expect(alice.messages('d:alice:bob').map((m) => m.id)).toEqual([msg.id]);
    await bob.markRead('d:alice:bob');
    expect(bob.conversation('d:alice:bob')).toMatchObject({ unread: 0, readSeq: 1 });
  });

  it('fails a send only for a definitive error (forbidden group)', async () => {
    const s = await startServer();
    const alice = await makeClient(s, 'alice');
    await connectSynced(alice);
    const err = await alice.sendText('g:nosuchgroup', 'hi').catch((e) => e);
    expect(err).toMatchObject({ name: 'ImError' });
    expect(['forbidden', 'not_found']).toContain(err.code);
    const failed = alice.messages('g:nosuchgroup');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ status: 'failed', error: { code: err.code } });
  });

  it('resends after a forced disconnect with the same clientMsgId and no duplicate', async () => {
    const s = await startServer();
    const ctl = controlledWebSocket();
    const alice = await makeClient(s, 'alice', { WebSocket: ctl.WebSocket });
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    // The ack is lost on the way back, then the network drops.
    ctl.dropIncoming = (f) => f.op === 'ack' && f.msg;
    const sending = alice.sendText('u:bob', 'once only');
    await until(() => ctl.outgoing.some((f) => f.op === 'send'), 'send frame written');
    await until(() => bob.messages('d:alice:bob').length === 1, 'server committed it');
    ctl.dropIncoming = undefined;
    ctl.sockets[ctl.sockets.length - 1].terminate();
    const msg = await sending;
    const sends = ctl.outgoing.filter((f) => f.op === 'send');
    expect(sends.length).toBe(2);
    expect(sends[1].clientMsgId).toBe(sends[0].clientMsgId);
    expect(msg).toMatchObject({ seq: 1, status: 'sent', clientMsgId: sends[0].clientMsgId });
    expect(alice.messages('d:alice:bob')).toHaveLength(1);
    const token = await s.login('bob');
    const h = await s.http('GET', '/api/conversations/d:alice:bob/messages', { token });
    expect(h.body.messages).toHaveLength(1);
    // Bob saw it exactly once.
    await bob.request({ op: 'ping' });
    expect(bob.messages('d:alice:bob').map((m) => m.seq)).toEqual([1]);
  });

  it('queues sends made while offline and delivers them in order after connecting', async () => {
    const s = await startServer();
    const alice = await makeClient(s, 'alice');
    const bob = await makeClient(s, 'bob');
    await connectSynced(bob);
    const p = [alice.sendText('u:bob', 'a'), alice.sendText('u:bob', 'b'), alice.sendText('u:bob', 'c')];
    expect(alice.messages('d:alice:bob').map((m) => m.status)).toEqual(['sending', 'sending', 'sending']);
    await alice.connect();
    const acked = await Promise.all(p);
    expect(acked.map((m) => m.seq)).toEqual([1, 2, 3]);
    await until(() => bob.messages('d:alice:bob').length === 3, 'bob has 3');
    expect(bob.messages('d:alice:bob').map((m) => (m.body as { text: string }).text)).toEqual(['a', 'b', 'c']);
  });
});
