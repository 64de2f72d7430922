import { describe, expect, it } from 'vitest';
import { runServerExpectingFailure, spawnServer } from '../support/process.js';
import { httpJson, TestClient, tempDir } from '../support/server.js';

async function loginAndConnect(url: string, userId: string) {
  const r = await httpJson(url, 'POST', '/api/auth/dev', { body: { userId } });
  const client = await TestClient.connect(`${url.replace('http', 'ws')}/ws?token=${r.body.token}`);
  return { token: r.body.token as string, client };
}

describe('the miniim process', () => {
  it('keeps every acked message when killed hard and started again on the same data', async () => {
    const dir = tempDir();
    const first = await spawnServer({ MINIIM_DATA_DIR: dir });
    await httpJson(first.url, 'POST', '/api/auth/dev', { body: { userId: 'bob' } });
    const { token, client } = await loginAndConnect(first.url, 'alice');
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.request({ op: 'send', to: 'u:bob', clientMsgId: `k${i}`, kind: 'text', body: { text: `m${i}` } })),
    );
    expect(acks.every((a) => a.op === 'ack')).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await spawnServer({ MINIIM_DATA_DIR: dir });
    // The dev token secret was kept in the data dir, so the old token still works.
    const h = await httpJson(second.url, 'GET', '/api/conversations/d:alice:bob/messages?limit=100', { token });
    expect(h.status).toBe(200);
    expect(h.body.messages.map((m: any) => m.id).sort()).toEqual(acks.map((a) => a.msg.id).sort());
    expect(h.body.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const again = await httpJson(second.url, 'POST', '/api/messages', {
      token,
      body: { to: 'u:bob', clientMsgId: 'k7', kind: 'text', body: { text: 'resend' } },
    });
    expect(again.body.msg.id).toBe(acks[7]!.msg.id);
  });

  it('shuts down gracefully on SIGTERM: 1012 to clients and no kicked (their login goes on), exit 0', async () => {
    const dir = tempDir();
    const p = await spawnServer({ MINIIM_DATA_DIR: dir });
    const { client } = await loginAndConnect(p.url, 'alice');
    p.child.kill('SIGTERM');
    expect(await client.waitClose(10_000)).toBe(1012);
    expect(client.frames.some((f) => f.op === 'kicked')).toBe(false);
    expect(await p.exited).toBe(0);
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['a PORT that is not a number', { PORT: 'eighty' }, /^miniim: invalid config PORT: /],
    ['a short token secret', { MINIIM_TOKEN_SECRET: 'short' }, /^miniim: invalid config MINIIM_TOKEN_SECRET: must be at least 16/],
    [
      'production with dev login',
      { NODE_ENV: 'production', MINIIM_DEV_LOGIN: '1', MINIIM_TOKEN_SECRET: 'x'.repeat(32) },
      /MINIIM_DEV_LOGIN: dev login must be off/,
    ],
    ['production without a token secret', { NODE_ENV: 'production' }, /MINIIM_TOKEN_SECRET: required when NODE_ENV=production/],
    [
      'production without a media link secret',
      { NODE_ENV: 'production', MINIIM_TOKEN_SECRET: 'x'.repeat(32) },
      /MINIIM_MEDIA_SIGNED_URL_SECRET: required when NODE_ENV=production/,
    ],
    ['an unreadable config file', { MINIIM_CONFIG: '/nonexistent/miniim.json' }, /MINIIM_CONFIG: cannot read/],
  ];
  it.each(bad)('refuses to start with %s, in one line naming the key', async (_n, env, message) => {
    const r = await runServerExpectingFailure({ MINIIM_DATA_DIR: tempDir(), ...env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });
});
