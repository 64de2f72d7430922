/**
 * The admin console (`/admin/`) in headless Chromium over a real server: a wrong token is
 * refused, the overview counts the live sockets, a user is found and banned (their socket
 * closes with 4403), a message is looked up and removed, and the audit log lists both.
 * A screenshot goes to test-output/web/admin-console.png.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '../../../packages/sdk/test/support/server.js';
import { Browsers, outputDir } from './browser.js';

const ADMIN = 'console-admin-token-0123456789';
const browsers = new Browsers();

/** A socket of `token`'s user; resolves with its close code when it closes. */
async function liveSocket(baseUrl: string, token: string): Promise<{ closed: Promise<number> }> {
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('error', reject);
  });
  return { closed: new Promise((resolve) => ws.once('close', (code) => resolve(code))) };
}

describe('admin console in Chromium', () => {
  let webDir: string;
  beforeAll(async () => {
    webDir = await browsers.build();
  }, 60_000);
  afterAll(() => browsers.close());

  it('logs in with the admin token, shows online counts, bans a user, removes a message, lists the audit log', async () => {
    const s = await startServer({ webDir, adminToken: ADMIN });
    const alice = await s.login('alice', '爱丽丝');
    await s.login('bob', '小明');
    const sent = await s.http('POST', '/api/messages', {
      token: alice,
      body: { to: 'u:bob', clientMsgId: 'c1', kind: 'text', body: { text: '买粉丝加微信' } },
    });
    expect(sent.status).toBe(200);
    const socket = await liveSocket(s.baseUrl, alice);

    const { page } = await browsers.open({ width: 1100, height: 760 });
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${s.baseUrl}/admin/`);
    await page.waitForSelector('body[data-state="login"]');
    expect(await page.title()).toBe('MiniIM 管理后台');
    await page.fill('#admin-token', 'wrong-token-0000000000');
    await page.click('#admin-login-btn');
    await page.waitForFunction(() => document.getElementById('admin-login-error')?.textContent === '管理令牌无效，请重新输入');
    await page.fill('#admin-token', ADMIN);
    await page.click('#admin-login-btn');
    await page.waitForSelector('body[data-state="ready"]');
    await page.waitForFunction(() => document.getElementById('stat-sockets')?.textContent === '1');
    expect(await page.textContent('#stat-users')).toBe('1');

    // Users: search, open, ban.
    await page.click('[data-tab="users"]');
    await page.fill('#user-q', '爱丽');
    await page.click('#user-search button');
    await page.click('[data-user="alice"]');
    await page.waitForFunction(() => document.getElementById('user-detail-title')?.textContent === '爱丽丝（alice）');
    await page.fill('#ban-reason', '发布广告');
    await page.click('#ban-btn');
    await page.waitForSelector('#user-detail-fields .tag-banned');
    expect(await socket.closed).toBe(4403);
    expect((await s.http('POST', '/api/auth/dev', { body: { userId: 'alice' } })).status).toBe(403);

    // Messages: look up by conv + seq, remove.
    await page.click('[data-tab="messages"]');
    await page.fill('#msg-conv', 'd:alice:bob');
    await page.fill('#msg-seq', '1');
    await page.click('#msg-lookup button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('msg-fields')?.textContent?.includes('买粉丝加微信'));
    await page.click('#msg-remove');
    await page.waitForFunction(() => document.getElementById('msg-fields')?.textContent?.includes('已撤回（系统）'));
    const history = await s.http('GET', '/api/conversations/d:alice:bob/messages', { token: await s.login('bob') });
    expect(history.body.messages.map((m: { body: { event?: string } }) => m.body.event ?? null)).toEqual([null, 'content_removed']);

    // Unknown message: a clear error, not a crash.
    await page.fill('#msg-seq', '99');
    await page.click('#msg-lookup button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('admin-error')?.textContent === '未找到');

    // Audit log: both actions, with who and from where.
    await page.click('[data-tab="audit"]');
    await page.waitForSelector('#audit-rows tr[data-action="user.ban"]');
    const ban = await page.textContent('#audit-rows tr[data-action="user.ban"]');
    expect(ban).toContain('封禁用户');
    expect(ban).toContain('alice');
    expect(ban).toContain('127.0.0.1');
    expect(ban).toContain('发布广告');
    expect(await page.$('#audit-rows tr[data-action="message.remove"]')).not.toBeNull();
    expect(await page.textContent('#audit-rows tr[data-action="message.read.failed"]')).toContain('查看消息失败');
    await page.fill('#audit-action', 'user.ban');
    await page.click('#audit-filter button');
    await page.waitForFunction(() => document.querySelectorAll('#audit-rows tr').length === 1);
    await page.fill('#audit-action', '');
    await page.click('#audit-filter button');
    await page.waitForFunction(() => document.querySelectorAll('#audit-rows tr').length > 3);
    await page.screenshot({ path: path.join(outputDir, 'admin-console.png'), fullPage: true });

    // The token lives in this tab only; 退出 forgets it.
    await page.click('#admin-logout');
    await page.waitForSelector('body[data-state="login"]');
    await page.reload();
    await page.waitForSelector('body[data-state="login"]');
  });
});
