import { describe, expect, it } from 'vitest';
import { connectSynced, makeClient } from './support/clients.js';
import { controlledWebSocket } from './support/controlled-ws.js';
import { startServer, until } from './support/server.js';

const texts = (ms: Array<{ body: unknown }>) => ms.map((m) => (m.body as { text: string }).text);

describe('SDK against the real server: sync', () => {
  it('fills a gap when a pushed seq jumps, keeping order and no duplicates', async () => {
    const s = await startServer();
    const ctl = controlledWebSocket();
    const alice = await makeClient(s, 'alice');
    const bob = await makeClient(s, 'bob', { WebSocket: ctl.WebSocket });
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    await alice.sendText('u:bob', 'm1');
    await until(() => bob.messages('d:alice:bob').length === 1, 'first message');
    await bob.loadHistory('d:alice:bob');
    // Pushes of seq 2 and 3 get lost; seq 4 arrives and reveals the gap.
    // Alice's ack can arrive before Bob's push: wait until Bob has actually lost both pushes.
    let lost = 0;
    ctl.dropIncoming = (f) => f.op === 'msg' && (f.msg.seq === 2 || f.msg.seq === 3) && ++lost > 0;
    await alice.sendText('u:bob', 'm2');
    await alice.sendText('u:bob', 'm3');
    await until(() => lost === 2, 'pushes of seq 2 and 3 lost');
    ctl.dropIncoming = undefined;
    const historyBefore = ctl.outgoing.filter((f) => f.op === 'history').length;
    await alice.sendText('u:bob', 'm4');
    await until(() => bob.messages('d:alice:bob').length === 4, 'gap filled');
    expect(texts(bob.messages('d:alice:bob'))).toEqual(['m1', 'm2', 'm3', 'm4']);
    const fills = ctl.outgoing.filter((f) => f.op === 'history').slice(historyBefore);
    expect(fills[0]).toMatchObject({ conv: 'd:alice:bob', after: 1 });
    expect(bob.conversation('d:alice:bob')).toMatchObject({ lastSeq: 4, unread: 4 });
  });

  it('catches up after the server restarts (convs, then history after)', async () => {
    const s = await startServer();
    const alice = await makeClient(s, 'alice');
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    await alice.sendText('u:bob', 'before');
    await until(() => bob.messages('d:alice:bob').length === 1, 'first message');
    await bob.loadHistory('d:alice:bob');
    bob.disconnect(); // bob is away while alice keeps talking across a restart
    await s.restart();
    await alice.waitConnected();
    await alice.sendText('u:bob', 'after 1');
    await alice.sendText('u:bob', 'after 2');
    await s.restart();
    await alice.waitConnected();
    const pending = alice.sendText('u:bob', 'after 3');
    await pending;
    await connectSynced(bob);
    expect(texts(bob.messages('d:alice:bob'))).toEqual(['before', 'after 1', 'after 2', 'after 3']);
    expect(bob.conversation('d:alice:bob')).toMatchObject({ lastSeq: 4, unread: 4 });
    expect(texts(alice.messages('d:alice:bob'))).toEqual(['before', 'after 1', 'after 2', 'after 3']);
  });

  it('after a reconnect fetches what follows messages it only saw live (no page loaded)', async () => {
    const s = await startServer();
    const alice = await makeClient(s, 'alice');
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    await alice.sendText('u:bob', 'seen live');
    await until(() => bob.messages('d:alice:bob').length === 1, 'first');
    bob.disconnect();
    await alice.sendText('u:bob', 'missed 1');
    await alice.sendText('u:bob', 'missed 2');
    await connectSynced(bob);
    expect(texts(bob.messages('d:alice:bob'))).toEqual(['seen live', 'missed 1', 'missed 2']);
    // Older pages still load before the first message seen live.
    const carol = await makeClient(s, 'carol');
    await connectSynced(carol);
    await alice.sendText('u:carol', 'old 1');
    await alice.sendText('u:carol', 'old 2');
    const carolPhone = await makeClient(s, 'carol');
    await connectSynced(carolPhone);
    await alice.sendText('u:carol', 'new');
    await until(() => carolPhone.messages('d:alice:carol').length === 1, 'the second device sees the push');
    const page = await carolPhone.loadHistory('d:alice:carol');
    expect(texts(page.messages)).toEqual(['old 1', 'old 2', 'new']);
  });

  it('resumes a live client after a restart and delivers what it missed, once', async () => {
    const s = await startServer();
    const alice = await makeClient(s, 'alice');
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    await alice.sendText('u:bob', 'one');
    await until(() => bob.messages('d:alice:bob').length === 1, 'first');
    const states: string[] = [];
    bob.on('state', (c) => states.push(`${c.oldState}>${c.newState}`));
    await s.stop();
    await until(() => bob.state === 'reconnecting', 'bob notices');
    const sending = alice.sendText('u:bob', 'two'); // queued while the server is down
    await s.restart();
    await sending;
    await until(() => bob.messages('d:alice:bob').length === 2, 'bob synced');
    expect(texts(bob.messages('d:alice:bob'))).toEqual(['one', 'two']);
    expect(states[0]).toBe('connected>reconnecting');
    expect(states).toContain('reconnecting>connected');
  });

  it('on 4401 asks for a new token and reconnects', async () => {
    const s = await startServer();
    const old = await s.login('carol');
    const refreshed = await s.http('POST', '/api/auth/refresh', { token: old });
    expect(refreshed.status).toBe(200);
    const fresh = refreshed.body.token as string;
    const asked: boolean[] = [];
    const carol = await makeClient(s, 'carol', {
      getToken: ({ refresh }) => {
        asked.push(refresh);
        return refresh ? fresh : old; // the cached token was revoked by the refresh
      },
    });
    const reasons: string[] = [];
    carol.on('state', (c) => reasons.push(`${c.newState}:${c.reason}`));
    await connectSynced(carol);
    expect(asked).toEqual([false, true]);
    expect(reasons).toEqual(['connecting:connect', 'reconnecting:unauthorized', 'connected:hello']);
    expect(carol.user?.id).toBe('carol');
    // HTTP calls use the fresh token too.
    const me = await carol.api.me();
    expect(me.id).toBe('carol');
  });

  it('stays disconnected when the app has no token', async () => {
    const s = await startServer();
    const dave = await makeClient(s, 'dave', { getToken: () => null });
    const reasons: string[] = [];
    dave.on('state', (c) => reasons.push(`${c.newState}:${c.reason}`));
    await dave.connect();
    await until(() => dave.state === 'disconnected', 'gives up');
    expect(reasons).toEqual(['connecting:connect', 'disconnected:no_token']);
  });

  it('after a reconnect, holds what was sent meanwhile in conversations it never opened; a new device stays lazy', async () => {
    const s = await startServer();
    const alice = await makeClient(s, 'alice');
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    bob.disconnect();
    await alice.sendText('u:bob', 'while you were away');
    await alice.sendText('u:bob', 'and this too');
    await connectSynced(bob);
    expect(texts(bob.messages('d:alice:bob'))).toEqual(['while you were away', 'and this too']);
    // A first connect (a new device) lists the conversation but loads no history until asked.
    const again = await makeClient(s, 'bob');
    await connectSynced(again);
    expect(again.conversation('d:alice:bob')?.lastSeq).toBe(2);
    expect(again.messages('d:alice:bob')).toEqual([]);
  });
});
