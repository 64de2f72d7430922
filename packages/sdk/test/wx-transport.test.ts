import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWxClient, type WxClient } from '../src/wx/index.js';
import { connectSynced, makeClient } from './support/clients.js';
import { FakeWx } from './support/fake-wx.js';
import { onCleanup, startServer, type TestServer, until } from './support/server.js';

async function wxClient(
  s: TestServer,
  fake: FakeWx,
  userId: string,
  extra: { heartbeat?: { intervalMs?: number; timeoutMs?: number } } = {},
): Promise<WxClient> {
  const token = await s.login(userId);
  const client = createWxClient({
    wx: fake.api,
    baseUrl: s.baseUrl,
    getToken: () => token,
    userId,
    backoff: { baseMs: 20, maxMs: 200 },
    ...extra,
  });
  onCleanup(() => client.dispose());
  return client;
}

describe('wx transport over a fake SocketTask runtime', () => {
  it('connects with the token in the header and sends and receives', async () => {
    const s = await startServer();
    const fake = new FakeWx();
    const alice = await wxClient(s, fake, 'alice');
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    expect(fake.lastSocket?.header.Authorization).toMatch(/^Bearer /);
    expect(fake.lastSocket?.url).not.toContain('token=');
    const msg = await alice.sendText('u:bob', '来自小程序');
    expect(msg.status).toBe('sent');
    await bob.sendText('u:alice', '收到');
    await until(() => alice.messages('d:alice:bob').length === 2, 'alice gets the reply');
    // The cache went through wx.setStorage.
    await until(() => fake.storage.has('miniim:cache:alice'), 'cache saved');
  });

  it('detects a socket that closed without any callback and reconnects', async () => {
    const s = await startServer();
    const fake = new FakeWx();
    const alice = await wxClient(s, fake, 'alice', { heartbeat: { intervalMs: 100, timeoutMs: 150 } });
    await s.login('bob');
    await connectSynced(alice);
    const reasons: string[] = [];
    alice.on('state', (c) => reasons.push(c.reason));
    const first = fake.lastSocket;
    first?.die({ silent: true });
    await until(() => reasons.includes('heartbeat_timeout') && alice.state === 'connected', 'reconnected after silence');
    expect(fake.sockets.length).toBe(2);
    expect(first?.closedByApp).toBe(true);
    const msg = await alice.sendText('u:bob', 'still here');
    expect(msg.seq).toBe(1);
  });

  it('stops reconnecting in background, treats "interrupted" as expected, reconnects at once on show', async () => {
    const s = await startServer();
    const fake = new FakeWx({ interruptAfterMs: 30 });
    const alice = await wxClient(s, fake, 'alice');
    const bob = await makeClient(s, 'bob');
    await Promise.all([connectSynced(alice), connectSynced(bob)]);
    await alice.loadHistory('d:alice:bob');
    const changes: string[] = [];
    alice.on('state', (c) => changes.push(`${c.newState}:${c.reason}`));
    fake.hide();
    await until(() => alice.state === 'reconnecting', 'interrupted');
    expect(changes).toEqual(['reconnecting:background']);
    await bob.sendText('u:alice', '你在后台时发的');
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.sockets.length).toBe(1); // no reconnect attempts while hidden
    fake.show();
    await until(() => alice.messages('d:alice:bob').length === 1, 'synced after show');
    expect(fake.sockets.length).toBe(2);
    expect(changes).toEqual(['reconnecting:background', 'connected:hello']);
  });

  it('never holds more than one socket, so churn never hits the 5-socket limit', async () => {
    const s = await startServer();
    const fake = new FakeWx();
    const alice = await wxClient(s, fake, 'alice');
    await connectSynced(alice);
    let connects = 0;
    alice.on('state', (c) => {
      if (c.newState === 'connected') connects++;
    });
    for (let i = 0; i < 8; i++) {
      fake.lastSocket?.die();
      await until(() => connects === i + 1, `reconnect ${i + 1}`);
    }
    expect(fake.sockets.length).toBe(9);
    expect(fake.maxUnclosed).toBe(1);
    expect(fake.sockets.filter((t) => !t.dead).length).toBe(1);
  });

  it('the fake enforces the limit: a 6th concurrent task fails with "exceed max task count"', async () => {
    const s = await startServer();
    const fake = new FakeWx();
    const token = await s.login('zed');
    const url = `${s.baseUrl.replace('http', 'ws')}/ws`;
    const fails: string[] = [];
    const opened: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t = fake.connectSocket({
        url,
        header: { Authorization: `Bearer ${token}` },
        fail: (e) => fails.push(e.errMsg),
      });
      t.onOpen(() => opened.push(i));
    }
    await until(() => opened.length === 5 && fails.length === 1, 'five open, one refused');
    expect(fails[0]).toMatch(/exceed max task count/);
    for (const t of fake.sockets) t.close({});
  });

  it('uploads with wx.uploadFile and logs in with wx.login', async () => {
    const s = await startServer();
    const fake = new FakeWx();
    const alice = await wxClient(s, fake, 'alice');
    await connectSynced(alice);
    const dir = await mkdtemp(path.join(tmpdir(), 'miniim-wx-'));
    const file = path.join(dir, 'a.pdf');
    await writeFile(file, '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
    // wx.uploadFile posts the file to the server's upload route, which answers with a URL it serves.
    const up = await alice.upload(file, 'file');
    expect(up.url).toMatch(/\/media\//);
    const served = await fetch(new URL(up.url, s.baseUrl));
    expect(served.status).toBe(200);
    expect(await served.text()).toMatch(/^%PDF-1\.4/);
    const { wechatLogin } = await import('../src/wx/index.js');
    // wx.login gives a code; this server has no mini-program configured, so the login route answers
    // the contract's not_found (never a crash or a token).
    const res = await wechatLogin(s.baseUrl, {}, fake.api).catch((e) => e);
    expect(res).toMatchObject({ name: 'ImError', code: 'not_found' });
  });
});
