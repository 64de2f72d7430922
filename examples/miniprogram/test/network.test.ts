/**
 * Network changes and restarts as a mini-program user lives them (issue 19 item 3, issue 18.1):
 * "网络不可用" while offline and a reconnect at once when the network returns (not after the
 * backoff); a server restart shows "正在重新连接…" and never the login page; a WeChat login whose
 * token truly ended is renewed silently with `wx.login`; a dev login that ended goes to login.
 */
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { startWechatServer } from '../../../packages/server/test/support/wechat-server.js';
import { ImSession, type LoginEndReason } from '../lib/session.js';
import { initialListData, ListLogic } from '../pages/index/list-logic.js';
import { AppFakeWx } from './support/app-fake-wx.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';

/**
 * Backoff far longer than the test waits: only an immediate reconnect can pass. The fake drops
 * sockets silently when the network goes (no FIN), so the SDK probes the old socket when the
 * network returns; a short probe timeout keeps that part small here.
 */
const SLOW_BACKOFF = { backoff: { baseMs: 20_000, maxMs: 30_000 }, heartbeat: { intervalMs: 5_000, timeoutMs: 300 }, persistence: false as const };

describe('network and restarts', () => {
  it('offline: "网络不可用" banner; the network returns: reconnects at once (backoff or not) and catches up', async () => {
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝', { client: SLOW_BACKOFF });
    const bobToken = await s.login('bob', '鲍勃');
    const view = captureView(initialListData());
    const list = new ListLogic(view, alice.session);
    list.load();
    expect(view.data.stateText).toBe('');

    alice.fake.setNetwork(false);
    // At once: the phone says so (the socket itself may look alive for seconds more).
    await until(() => view.data.stateText === '网络不可用', 'offline banner', 200);
    const r = await s.http('POST', '/api/messages', { token: bobToken, body: { to: 'u:alice', clientMsgId: 'w1', kind: 'text', body: { text: '在吗' } } });
    expect(r.status).toBe(200);
    // The SDK notices the silently dropped socket (probe timeout) and stops trying while offline.
    await until(() => alice.session.need().state !== 'connected', 'socket noticed dead');
    await new Promise((res) => setTimeout(res, 100));
    expect(view.data.stateText).toBe('网络不可用');

    const back = Date.now();
    alice.fake.setNetwork(true);
    await until(() => view.data.stateText === '' && view.data.items[0]?.preview === '在吗', 'reconnected and synced', 2_000);
    expect(Date.now() - back).toBeLessThan(2_000);
    expect(alice.fake.navigations.filter((u) => u.includes('login'))).toEqual([]);
    list.unload();
  });

  it('a server restart shows "正在重新连接…", keeps the login and the outbox, never the login page', async () => {
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    const bob = await loggedIn(s, 'bob', '鲍勃');
    const ended: LoginEndReason[] = [];
    alice.session.onLoginEnded((r) => ended.push(r));
    const savedBefore = alice.fake.storage.get('miniim:auth');
    const view = captureView(initialListData());
    const list = new ListLogic(view, alice.session);
    list.load();

    await s.stop();
    await until(() => view.data.stateText === '正在重新连接…', 'reconnecting banner');
    const during = alice.session.need().sendText('u:bob', '重启时发的');
    await s.restart();
    const sent = await during;
    expect(sent.status).toBe('sent');
    await until(() => view.data.stateText === '', 'banner gone');
    // Delivered: pushed, or (if Bob came back after it was stored) in his synced conversation list.
    await until(() => bob.session.need().conversation('d:alice:bob')?.lastMessage?.clientMsgId === sent.clientMsgId, 'delivered after the restart');
    expect(ended).toEqual([]);
    expect(alice.session.loggedIn).toBe(true);
    expect(alice.fake.storage.get('miniim:auth')).toBe(savedBefore);
    list.unload();
  });

  it('a WeChat login whose token truly ended logs in again silently with wx.login', async () => {
    const t = await startWechatServer();
    const fake = new AppFakeWx();
    fake.onLoginCode = (code) => t.fake.addCode(code, { openid: 'oSILENT', session_key: 'c2Vzc2lvbmtleTEyMzQ1Ng==' });
    const session = new ImSession({
      wx: fake.app,
      baseUrl: t.url,
      appId: 'wxtest00000000000001',
      clientOptions: { backoff: { baseMs: 20, maxMs: 200 }, persistence: false },
    });
    const ended: LoginEndReason[] = [];
    session.onLoginEnded((r) => ended.push(r));
    const user = await session.loginWechat();
    await session.need().waitConnected();
    const first = JSON.parse(String(fake.storage.get('miniim:auth'))) as { token: string; via: string };
    expect(first.via).toBe('wechat');

    // The token is revoked elsewhere (its refresh too): the next connect gets 4401, the refresh 401.
    expect((await t.http('POST', '/api/auth/refresh', { token: first.token })).status).toBe(200);
    const peer = await t.devLogin('peer', '同事');
    fake.lastSocket?.die();
    await until(() => {
      const saved = JSON.parse(String(fake.storage.get('miniim:auth'))) as { token: string };
      return saved.token !== first.token && session.need().state === 'connected';
    }, 'silent re-login');
    expect(ended).toEqual([]);
    expect(session.user?.id).toBe(user.id);
    expect(fake.navigations).toEqual([]);
    // The new login works: a message from a peer arrives.
    await t.http('POST', '/api/messages', { token: peer, body: { to: `u:${user.id}`, clientMsgId: 'p1', kind: 'text', body: { text: '还在吗' } } });
    await until(() => session.need().conversations().length === 1, 'message after the silent login');
    session.client?.dispose();
  });

  it('a dev login that ended (token revoked) goes to the login page with the reason and forgets the token', async () => {
    const s = await startServer();
    const carol = await loggedIn(s, 'carol', '卡罗尔');
    const ended: LoginEndReason[] = [];
    carol.session.onLoginEnded((r) => ended.push(r));
    const saved = JSON.parse(String(carol.fake.storage.get('miniim:auth'))) as { token: string };
    await s.http('POST', '/api/auth/refresh', { token: saved.token });
    carol.fake.lastSocket?.die();
    await until(() => ended.length === 1, 'login ended');
    expect(ended).toEqual(['expired']);
    expect(carol.session.loggedIn).toBe(false);
    expect(carol.fake.storage.has('miniim:auth')).toBe(false);
  });
});
