import net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_RUNNING_PER_SOCKET } from '../../src/gateway/gateway.js';
import { startServer, TestClient, tempDir } from '../support/server.js';

describe('graceful shutdown', () => {
  it('commits the sends in flight, acks them, then closes with 1012 and sends no kicked', async () => {
    const dir = tempDir();
    const s = await startServer({ socketFramesPerSec: 10_000 }, dir);
    const bobToken = await s.login('bob');
    const token = await s.login('alice');
    const alice = await s.connect(token);
    const bob = await s.connect(bobToken);
    const send = (i: number) => alice.send({ op: 'send', rid: `s${i}`, to: 'u:bob', clientMsgId: `g${i}`, kind: 'text', body: { text: `m${i}` } });
    for (let i = 0; i < 200; i++) send(i);
    // Shut down while the first sends are being committed, and send more while it drains.
    await alice.waitFor((f) => f.op === 'ack');
    const closing = s.server.close();
    for (let i = 200; i < 300; i++) send(i);
    await closing;

    expect(await alice.waitClose(5_000)).toBe(1012);
    expect(await bob.waitClose(5_000)).toBe(1012);
    expect([...alice.frames, ...bob.frames].some((f) => f.op === 'kicked')).toBe(false);
    // Every send read before the shutdown was committed and acked before the close; those read while
    // it drained were answered `unavailable` (not stored, safe to resend) or not read at all. Frames are
    // read in order, and the socket is not read while its requests in flight are at their cap, so the
    // acked sends are a prefix that holds at least the first MAX_RUNNING_PER_SOCKET.
    const reply = new Map(alice.frames.filter((f) => f.op === 'ack' || f.op === 'error').map((f) => [f.rid as string, f]));
    const outcome = Array.from({ length: 300 }, (_, i) => {
      const r = reply.get(`s${i}`);
      return r?.op === 'ack' ? 'ack' : (r?.code ?? 'none');
    });
    const firstRefused = outcome.findIndex((o) => o !== 'ack');
    const readBefore = firstRefused === -1 ? outcome.length : firstRefused;
    expect(readBefore).toBeGreaterThanOrEqual(MAX_RUNNING_PER_SOCKET);
    for (const o of outcome.slice(readBefore)) expect(['unavailable', 'none']).toContain(o);
    const acked = [...reply.values()].filter((f) => f.op === 'ack').map((f) => f.msg as { id: string; seq: number });
    acked.sort((a, b) => a.seq - b.seq);
    // No new socket is accepted any more.
    await expect(TestClient.connect(`${s.wsUrl}?token=${token}`)).rejects.toThrow();

    // What was acked is stored, exactly once and in order; what was refused is not.
    const again = await startServer({ socketFramesPerSec: 10_000 }, dir);
    const h = await again.http('GET', '/api/conversations/d:alice:bob/messages?limit=100&after=0', { token });
    let stored = h.body.messages as Array<{ id: string; seq: number }>;
    let more = h.body.hasMore as boolean;
    while (more) {
      const next = await again.http('GET', `/api/conversations/d:alice:bob/messages?limit=100&after=${stored[stored.length - 1]!.seq}`, { token });
      stored = stored.concat(next.body.messages);
      more = next.body.hasMore;
    }
    expect(stored.map((m) => m.id)).toEqual(acked.map((m) => m.id));
    expect(stored.map((m) => m.seq)).toEqual(acked.map((_m, i) => i + 1));
  });

  it('refuses an upgrade that arrives while it drains with 503, never half-accepts it', async () => {
    const s = await startServer();
    const token = await s.login('carol');
    const closing = s.server.close();
    const status = await new Promise<number | string>((resolve) => {
      const ws = new WebSocket(`${s.wsUrl}?token=${token}`);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve('open'));
      ws.once('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'));
    });
    await closing;
    expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(status);
  });

  it('is bounded: a connection that never sends its request, or a silent socket, does not hold it', async () => {
    const s = await startServer();
    const token = await s.login('erin');
    const silent = await s.connect(token);
    silent.ws.pause(); // reads nothing: the close handshake never completes
    (silent.ws as unknown as { _socket: net.Socket })._socket.pause();
    const idle = net.connect(s.port, '127.0.0.1'); // TCP open, no request bytes (a client behind a dead network)
    idle.on('error', () => {});
    await new Promise((r) => idle.once('connect', r));
    const t0 = Date.now();
    await s.server.close();
    const took = Date.now() - t0;
    idle.destroy();
    expect(took).toBeLessThan(8_000);
  });
});
