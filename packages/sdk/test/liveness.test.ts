/** Liveness against the real server (issue 19.9–19.10): sends that time out, dead sockets, platform hooks. */
import { describe, expect, it } from 'vitest';
import { browserEnvironment } from '../src/web/index.js';
import { connectSynced, makeClient } from './support/clients.js';
import { controlledWebSocket } from './support/controlled-ws.js';
import { startServer, until } from './support/server.js';

describe('liveness', () => {
  it('a send whose ack is late is sent again only after a ping on the same socket was answered', async () => {
    const s = await startServer();
    const ctl = controlledWebSocket();
    const alice = await makeClient(s, 'alice', { WebSocket: ctl.WebSocket, sendTimeoutMs: 300, heartbeat: { intervalMs: 60_000, timeoutMs: 2_000 } });
    await makeClient(s, 'bob').then(connectSynced);
    await connectSynced(alice);
    let dropped = 0;
    ctl.dropIncoming = (f) => f.op === 'ack' && f.msg && dropped++ === 0; // the first ack is lost
    const start = ctl.sentOn.length;
    const msg = await alice.sendText('u:bob', 'late ack');
    expect(msg.status).toBe('sent');
    expect(ctl.sentOn.slice(start)).toEqual(['0:send', '0:ping', '0:send']);
    expect(alice.messages('d:alice:bob').map((m) => m.id)).toEqual([msg.id]);
  });

  it('a send into a black hole is never sent again on the dead socket: probe, reconnect, then resend', async () => {
    const s = await startServer();
    const ctl = controlledWebSocket();
    const alice = await makeClient(s, 'alice', { WebSocket: ctl.WebSocket, sendTimeoutMs: 300, heartbeat: { intervalMs: 60_000, timeoutMs: 500 } });
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    const reasons: string[] = [];
    alice.on('state', (c) => reasons.push(`${c.newState}:${c.reason}`));
    ctl.dropIncoming = () => true; // nothing comes back, no close either
    const start = ctl.sentOn.length;
    const t0 = Date.now();
    const sending = alice.sendText('u:bob', 'into the void');
    await until(() => alice.state !== 'connected', 'dead socket noticed', 3_000);
    const noticed = Date.now() - t0;
    expect(noticed).toBeLessThan(1_500); // 2 × timeoutMs after the send, plus scheduling
    expect(reasons[0]).toBe('reconnecting:heartbeat_timeout');
    ctl.dropIncoming = undefined;
    const msg = await sending;
    const onFirst = ctl.sentOn.slice(start).filter((x) => x.startsWith('0:'));
    expect(onFirst.filter((x) => x === '0:send')).toHaveLength(1);
    expect(onFirst).toContain('0:ping');
    expect(ctl.sentOn.slice(start).some((x) => x.endsWith(':send') && !x.startsWith('0:'))).toBe(true);
    await until(() => bob.messages('d:alice:bob').length === 1, 'bob has it');
    expect(bob.messages('d:alice:bob')[0]!.id).toBe(msg.id);
  });

  it('the web entry follows online/offline and visibilitychange, and unhooks on dispose', () => {
    const listeners = new Map<string, () => void>();
    const doc = {
      visibilityState: 'visible',
      addEventListener: (t: string, l: () => void) => listeners.set(`doc:${t}`, l),
      removeEventListener: (t: string) => listeners.delete(`doc:${t}`),
    };
    const g = {
      addEventListener: (t: string, l: () => void) => listeners.set(t, l),
      removeEventListener: (t: string) => listeners.delete(t),
      navigator: { onLine: true },
      document: doc,
    };
    const calls: string[] = [];
    const unhook = browserEnvironment(g)({ networkChanged: (on) => calls.push(`net:${on}`), setForeground: (f) => calls.push(`front:${f}`) });
    listeners.get('offline')?.();
    listeners.get('online')?.();
    doc.visibilityState = 'hidden';
    listeners.get('doc:visibilitychange')?.();
    doc.visibilityState = 'visible';
    listeners.get('doc:visibilitychange')?.();
    expect(calls).toEqual(['net:false', 'net:true', 'front:false', 'front:true']);
    unhook();
    expect(listeners.size).toBe(0);
  });
});
