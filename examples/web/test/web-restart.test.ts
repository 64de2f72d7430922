/**
 * Issue 18.1 on the web page: a restart or deploy never logs anyone out. The real `miniim`
 * process is stopped with SIGTERM while two web users are connected: both show the
 * "reconnecting" banner (never the login form), keep their saved token, reconnect to the
 * restarted server and sync; a message written during the restart arrives once. A token
 * refresh answered 502 or refused keeps the login too; only a refresh answered 401 ends it,
 * with a message on the login form.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../packages/sdk/test/support/server.js';
import { spawnServer } from '../../../packages/server/test/support/process.js';
import { Browsers, bubbles, login, sendText, shoot, startChat, waitBubbles } from './browser.js';

const browsers = new Browsers();

function savedToken(page: Page): Promise<string | undefined> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('miniim:web:auth') ?? 'null')?.token as string | undefined);
}

/** Records every connection state the page shows and whether the login form ever appeared. */
async function watchStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __states: string[]; __sawLogin: boolean };
    w.__states = [];
    w.__sawLogin = false;
    new MutationObserver(() => {
      w.__states.push(document.body.dataset.state ?? '');
      if (!document.getElementById('login')?.hidden) w.__sawLogin = true;
    }).observe(document.body, { attributes: true, subtree: true, attributeFilter: ['data-state', 'hidden'] });
  });
}

function seen(page: Page): Promise<{ states: string[]; sawLogin: boolean }> {
  return page.evaluate(() => {
    const w = window as unknown as { __states: string[]; __sawLogin: boolean };
    return { states: w.__states, sawLogin: w.__sawLogin };
  });
}

describe('web page across server restarts and failed refreshes', () => {
  let webDir: string;
  const dirs: string[] = [];
  beforeAll(async () => {
    webDir = await browsers.build();
  }, 60_000);
  afterAll(async () => {
    await browsers.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('SIGTERM with web clients connected: nobody is logged out, both reconnect and sync, messages sent meanwhile arrive', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'miniim-web-restart-'));
    dirs.push(dataDir);
    const env = { MINIIM_DATA_DIR: dataDir, MINIIM_WEB_DIR: webDir };
    const first = await spawnServer(env);
    const url = first.url;
    const [{ page: alice }, { page: bob }] = await Promise.all([browsers.open(), browsers.open()]);
    await login(alice, url, 'alice', '爱丽丝');
    await login(bob, url, 'bob', '小明');
    await startChat(alice, 'bob');
    await sendText(alice, '重启之前');
    await bob.click('[data-conv="d:alice:bob"]');
    await waitBubbles(bob, ['重启之前']);
    const tokens = [await savedToken(alice), await savedToken(bob)];
    await watchStates(alice);
    await watchStates(bob);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    for (const p of [alice, bob]) await p.waitForSelector('#conn-banner:not([hidden])');
    expect(await alice.textContent('#conn-banner')).toBe('网络连接已断开，正在重新连接…');
    await shoot(alice, 'restart-reconnecting');
    // Written while the server is down: kept in the outbox.
    await sendText(alice, '重启期间');
    await sendText(bob, '我也在重启期间发了');

    const second = await spawnServer({ ...env, PORT: String(first.port) });
    for (const p of [alice, bob]) await p.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
    // Both wrote during the restart: whoever reconnects first is sent first; each side sees
    // the same three messages once, in seq order.
    const waitThree = (p: Page) =>
      p.waitForFunction(() => document.querySelectorAll('#messages .msg[data-status="sent"]').length >= 3, undefined, { timeout: 15_000 });
    await Promise.all([waitThree(alice), waitThree(bob)]);
    const shown = await bubbles(alice);
    expect(shown[0]).toBe('重启之前');
    expect([...shown].sort()).toEqual(['重启之前', '重启期间', '我也在重启期间发了'].sort());
    expect(await bubbles(bob)).toEqual(shown);
    for (const p of [alice, bob]) {
      expect(await p.$$eval('#messages .msg', (els) => els.map((e) => e.getAttribute('data-seq')))).toEqual(['1', '2', '3']);
      const s = await seen(p);
      expect(s.sawLogin).toBe(false);
      expect(s.states).toContain('reconnecting');
      expect(await p.isHidden('#conn-banner')).toBe(true);
    }
    expect([await savedToken(alice), await savedToken(bob)]).toEqual(tokens);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);

  it('a refresh answered 502 or refused keeps the login; a refresh answered 401 ends it with a message', async () => {
    const s = await startServer({ webDir });
    const { ctx, page } = await browsers.open();
    await login(page, s.baseUrl, 'alice', '爱丽丝');
    const token = await savedToken(page);
    // The server refuses the socket's token (4401) and every refresh fails: first 502, then refused.
    let refreshes = 0;
    let refreshAnswer: 'bad_gateway' | 'refused' | 'unauthorized' | 'pass' = 'bad_gateway';
    let socketAnswer: '4401' | 'pass' = '4401';
    await ctx.routeWebSocket(/\/ws/, (ws) => {
      if (socketAnswer === 'pass') ws.connectToServer();
      else ws.close({ code: 4401, reason: 'unauthorized' });
    });
    await ctx.route('**/api/auth/refresh', async (route) => {
      refreshes++;
      if (refreshAnswer === 'pass') await route.continue();
      else if (refreshAnswer === 'refused') await route.abort('connectionrefused');
      else if (refreshAnswer === 'bad_gateway') await route.fulfill({ status: 502, contentType: 'text/html', body: '<html>502 Bad Gateway</html>' });
      else
        await route.fulfill({
          status: 401,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'unauthorized', message: 'session revoked' } }),
        });
    });
    await page.reload();
    await watchStates(page);
    await page.waitForFunction(() => document.body.dataset.state === 'reconnecting', undefined, { timeout: 15_000 });
    await expect.poll(() => refreshes, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    refreshAnswer = 'refused';
    const before = refreshes;
    await expect.poll(() => refreshes, { timeout: 20_000 }).toBeGreaterThan(before);
    expect(await page.isHidden('#login')).toBe(true);
    expect(await page.isVisible('#conn-banner')).toBe(true);
    expect(await savedToken(page)).toBe(token);
    await shoot(page, 'refresh-502-reconnecting');

    // The proxy is back: the same token connects again, nobody logged in anew.
    socketAnswer = 'pass';
    refreshAnswer = 'pass';
    await page.waitForSelector('body[data-state="connected"]', { timeout: 40_000 });
    expect((await seen(page)).sawLogin).toBe(false);
    expect(await page.isHidden('#conn-banner')).toBe(true);

    // A refresh answered 401 is the end of the login: the login form, with the reason.
    socketAnswer = '4401';
    refreshAnswer = 'unauthorized';
    await page.reload();
    await page.waitForSelector('#login:not([hidden])', { timeout: 20_000 });
    expect(await page.textContent('#login-error')).toBe('登录已过期，请重新登录');
    expect(await savedToken(page)).toBeUndefined();
    await shoot(page, 'login-expired');
  }, 120_000);
});
