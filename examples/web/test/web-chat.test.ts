/**
 * The web chat page in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
 * two users chat both ways, one goes offline and comes back, both see every message once,
 * in order. Screenshots of light and dark mode go to test-output/web/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../../packages/sdk/test/support/server.js';
// @ts-expect-error plain ESM build script
import { buildWeb } from '../build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outputDir = path.resolve(here, '../../../test-output/web');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const contexts: BrowserContext[] = [];
const dirs: string[] = [];

async function browserFor(): Promise<BrowserContext> {
  const dir = await mkdtemp(path.join(tmpdir(), 'miniim-chromium-'));
  dirs.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1000, height: 700 },
    locale: 'zh-CN',
  });
  contexts.push(ctx);
  return ctx;
}

async function login(page: Page, s: TestServer, userId: string, nickname: string): Promise<void> {
  await page.goto(`${s.baseUrl}/`);
  await page.fill('#login-user', userId);
  await page.fill('#login-name', nickname);
  await page.click('#login-btn');
  await page.waitForSelector('body[data-state="connected"]');
}

async function sendText(page: Page, text: string): Promise<void> {
  await page.fill('#composer-input', text);
  await page.press('#composer-input', 'Enter');
}

/** Texts of the chat view's bubbles, in display order. */
function bubbles(page: Page): Promise<string[]> {
  return page.$$eval('#messages .msg .bubble', (els) => els.map((e) => e.textContent ?? ''));
}

async function waitBubbles(page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll('#messages .msg[data-status="sent"]').length >= n, expected.length, { timeout: 15_000 });
  expect(await bubbles(page)).toEqual(expected);
}

describe('web chat page in Chromium', () => {
  let s: TestServer;
  beforeAll(async () => {
    await buildWeb();
    await mkdir(outputDir, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('two users chat both ways; one goes offline and back; every message once, in order', async () => {
    s = await startServer();
    const [ca, cb] = await Promise.all([browserFor(), browserFor()]);
    const alice = ca.pages()[0] ?? (await ca.newPage());
    let bob = cb.pages()[0] ?? (await cb.newPage());
    await login(alice, s, 'alice', '爱丽丝');
    await login(bob, s, 'bob', '小明');

    // Alice opens a chat with bob and writes.
    await alice.fill('#new-chat-user', 'bob');
    await alice.press('#new-chat-user', 'Enter');
    await sendText(alice, '你好，小明！');
    await waitBubbles(alice, ['你好，小明！']);

    // Bob sees the conversation with an unread badge, opens it, replies.
    await bob.waitForSelector('[data-conv="d:alice:bob"] [data-testid="unread"]');
    expect(await bob.textContent('[data-conv="d:alice:bob"] [data-testid="unread"]')).toBe('1');
    await bob.click('[data-conv="d:alice:bob"]');
    await waitBubbles(bob, ['你好，小明！']);
    await bob.waitForSelector('[data-conv="d:alice:bob"] [data-testid="unread"]', { state: 'detached' });
    // Typing indicator reaches alice.
    await bob.type('#composer-input', '收');
    await alice.waitForFunction(() => document.getElementById('typing')?.textContent?.includes('正在输入'));
    await bob.fill('#composer-input', '');
    await sendText(bob, '收到，爱丽丝');
    await waitBubbles(alice, ['你好，小明！', '收到，爱丽丝']);

    // Bob goes offline (network off, then the tab is closed); alice keeps writing.
    await cb.setOffline(true);
    await sendText(alice, '离线消息一');
    await sendText(alice, '离线消息二');
    await bob.close();
    await sendText(alice, '离线消息三');
    await waitBubbles(alice, ['你好，小明！', '收到，爱丽丝', '离线消息一', '离线消息二', '离线消息三']);

    // Bob comes back: same browser profile (token and cache in localStorage), network on.
    await cb.setOffline(false);
    bob = await cb.newPage();
    await bob.goto(`${s.baseUrl}/`);
    await bob.waitForSelector('body[data-state="connected"]');
    await bob.click('[data-conv="d:alice:bob"]');
    await waitBubbles(bob, ['你好，小明！', '收到，爱丽丝', '离线消息一', '离线消息二', '离线消息三']);

    // A network blink while connected: messages sent during it arrive once.
    await cb.setOffline(true);
    await sendText(alice, '眨眼之间');
    await cb.setOffline(false);
    await sendText(bob, '我回来了');
    const all = ['你好，小明！', '收到，爱丽丝', '离线消息一', '离线消息二', '离线消息三', '眨眼之间', '我回来了'];
    await waitBubbles(bob, all);
    await waitBubbles(alice, all);
    // Seqs are strictly increasing and unique on both sides.
    for (const p of [alice, bob]) {
      const seqs = await p.$$eval('#messages .msg', (els) => els.map((e) => Number(e.getAttribute('data-seq'))));
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);
    }

    // Recall: alice recalls her last message; both see the notice.
    await alice.hover('#messages .msg.mine >> nth=-1');
    await alice.click('#messages .msg[data-seq="6"] .recall');
    await alice.waitForSelector('#messages .notice[data-seq="6"]');
    await bob.waitForSelector('#messages .notice[data-seq="6"]');
    expect(await bubbles(bob)).toEqual(all.filter((t) => t !== '眨眼之间'));

    // Screenshots in light and dark mode.
    await alice.emulateMedia({ colorScheme: 'light' });
    await alice.screenshot({ path: path.join(outputDir, 'chat-light.png') });
    const lightBg = await alice.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await alice.emulateMedia({ colorScheme: 'dark' });
    await alice.screenshot({ path: path.join(outputDir, 'chat-dark.png') });
    const darkBg = await alice.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(lightBg).not.toBe(darkBg);
    await bob.emulateMedia({ colorScheme: 'dark' });
    await bob.screenshot({ path: path.join(outputDir, 'chat-dark-bob.png') });
  }, 120_000);
});
