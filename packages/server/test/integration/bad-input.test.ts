import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, TestClient } from '../support/server.js';

const send = { op: 'send', rid: 's1', to: 'u:bob', clientMsgId: 'c1', kind: 'text', body: { text: 'hi' } };

describe('bad input over WebSocket', () => {
  const errorCases: Array<[string, unknown, string, RegExp]> = [
    ['unknown op', { op: 'explode', rid: 'x1' }, 'bad_request', /unknown op/],
    ['op missing', { rid: 'x2' }, 'bad_request', /op must be a string/],
    ['not an object', [1, 2, 3], 'bad_request', /JSON object/],
    ['send without rid', { ...send, rid: undefined }, 'bad_request', /rid is required/],
    ['wrong type: seq', { op: 'read', rid: 'x3', conv: 'd:alice:bob', seq: 'one' }, 'bad_request', /seq must be an integer/],
    ['wrong type: body', { ...send, rid: 'x4', body: 'hi' }, 'bad_request', /body must be an object/],
    ['text over 5000 chars', { ...send, rid: 'x5', body: { text: 'a'.repeat(5001) } }, 'bad_request', /body.text/],
    ['system kind from a client', { ...send, rid: 'x6', kind: 'system', body: { event: 'x' } }, 'bad_request', /kind/],
    ['send to self', { ...send, rid: 'x7', to: 'u:alice' }, 'bad_request', /yourself/],
    ['send to unknown user', { ...send, rid: 'x8', to: 'u:nobody' }, 'not_found', /nobody/],
    ['history of a conversation one is not in', { op: 'history', rid: 'x9', conv: 'd:bob:carol' }, 'forbidden', /not a member/],
    ['read in a conversation one is not in', { op: 'read', rid: 'x10', conv: 'd:bob:carol', seq: 1 }, 'forbidden', /not a member/],
    ['recall in a conversation one is not in', { op: 'recall', rid: 'x11', conv: 'd:bob:carol', seq: 1 }, 'forbidden', /not a member/],
    ['unknown group', { ...send, rid: 'x12', to: 'g:nogroup' }, 'not_found', /group/],
    ['foreign media url', { ...send, rid: 'x13', kind: 'image', body: { url: 'https://evil.example/x.png' } }, 'bad_request', /body.url/],
  ];

  it.each(errorCases)('%s → error %s with the rid', async (_name, frame, code, message) => {
    const s = await startServer();
    await s.login('bob');
    await s.login('carol');
    const a = await s.connect(await s.login('alice'));
    const rid = (frame as any)?.rid;
    a.send(frame as object);
    const err = await a.waitFor((f) => f.op === 'error');
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    if (rid !== undefined) expect(err.rid).toBe(rid);
    // The socket still works.
    expect(await a.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
  });

  it('refuses U+0000 in a clientMsgId or a name (PostgreSQL cannot store it), and a send batched beside it is acked', async () => {
    const s = await startServer();
    await s.login('bob');
    const carol = await s.connect(await s.login('carol'));
    const a = await s.connect(await s.login('alice'));
    const honest = carol.request({ op: 'send', to: 'u:bob', clientMsgId: 'ok1', kind: 'text', body: { text: 'fine' } });
    const nul = a.request({ op: 'send', to: 'u:bob', clientMsgId: 'c\u0000d', kind: 'text', body: { text: 'a\u0000b' } });
    expect(await nul).toMatchObject({ op: 'error', code: 'bad_request', message: expect.stringMatching(/clientMsgId/) });
    expect(await honest).toMatchObject({ op: 'ack' });
    // U+0000 inside a text body is stored escaped in the body's JSON: allowed on every backend.
    expect(await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'c2', kind: 'text', body: { text: 'a\u0000b' } })).toMatchObject({ op: 'ack' });
    const patch = await s.http('PATCH', '/api/me', { token: await s.login('dave'), body: { nickname: 'x\u0000y' } });
    expect(patch.status).toBe(400);
    expect(patch.body.error.code).toBe('bad_request');
  });

  it('ignores a forged from: the message is from the authenticated user', async () => {
    const s = await startServer();
    await s.login('bob');
    const a = await s.connect(await s.login('alice'));
    const ack = await a.request({ ...send, from: 'bob' });
    expect(ack.msg.from).toBe('alice');
    const r = await s.http('POST', '/api/messages', {
      token: await s.login('alice'),
      body: { to: 'u:bob', clientMsgId: 'c2', kind: 'text', body: { text: 'x' }, from: 'bob' },
    });
    expect(r.body.msg.from).toBe('alice');
  });

  const closeCases: Array<[string, string | Buffer, number]> = [
    ['non-JSON text', '{not json', 1007],
    ['binary frame', Buffer.from([1, 2, 3]), 1007],
    ['1 MB frame', JSON.stringify({ op: 'ping', pad: 'x'.repeat(1024 * 1024) }), 1009],
  ];
  it.each(closeCases)('%s closes with %i and the server serves others', async (_name, data, code) => {
    const s = await startServer();
    const tb = await s.login('bob');
    const other = await s.connect(tb);
    const a = await s.connect(await s.login('alice'));
    a.sendRaw(data);
    expect(await a.waitClose()).toBe(code);
    expect(await other.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
    const again = await s.connect(tb);
    expect(again.hello.op).toBe('hello');
  });

  it('refuses a missing or bad token at the upgrade with HTTP 401', async () => {
    const s = await startServer();
    for (const url of [s.wsUrl, `${s.wsUrl}?token=nope`, `${s.wsUrl}?token=abc.def`]) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => reject(new Error('should not open')));
        ws.on('error', () => {});
      });
      expect(status).toBe(401);
    }
    // Header form works.
    const token = await s.login('alice');
    const c = await TestClient.connect(s.wsUrl, { headers: { Authorization: `Bearer ${token}` } });
    expect(c.hello.user.id).toBe('alice');
  });

  it('answers floods with rate_limited and retryAfterMs, then closes with 4429', async () => {
    const s = await startServer({ socketFramesPerSec: 5 });
    const a = await s.connect(await s.login('alice'));
    for (let i = 0; i < 40; i++) a.send({ op: 'ping', rid: `f${i}` });
    const limited = await a.waitFor((f) => f.op === 'error' && f.code === 'rate_limited');
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(await a.waitClose()).toBe(4429);
    expect(a.frames.some((f) => f.op === 'kicked' && f.reason === 'flood')).toBe(true);
  });

  it('closes a silent socket with 4408 after 2.5 heartbeats', async () => {
    const s = await startServer({ heartbeatMs: 1000 });
    const token = await s.login('alice');
    const silent = await TestClient.connect(`${s.wsUrl}?token=${token}`, { autoPong: false });
    const alive = await TestClient.connect(`${s.wsUrl}?token=${token}`);
    const start = Date.now();
    expect(await silent.waitClose(6000)).toBe(4408);
    expect(Date.now() - start).toBeGreaterThanOrEqual(2000);
    expect(alive.closeCode).toBeNull(); // answers ping frames automatically
  });
});
