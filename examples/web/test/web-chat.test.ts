/**
 * The web chat page in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
 * two users chat both ways, one goes offline and comes back, both see every message once,
 * in order. Screenshots of light and dark mode go to test-output/web/.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../../packages/sdk/test/support/server.js';
import { Browsers, bubbles, login, outputDir, sendText, startChat, waitBubbles } from './browser.js';

const browsers = new Browsers();

describe('web chat page in Chromium', () => {
  let s: TestServer;
  let webDir: string;
  beforeAll(async () => {
    webDir = await browsers.build();
  }, 60_000);
  afterAll(() => browsers.close());

  it('two users chat both ways; one goes offline and back; every message once, in order', async () => {
    s = await startServer({ webDir });
    const [{ page: alice }, { ctx: cb, page: firstBob }] = await Promise.all([browsers.open(), browsers.open()]);
    let bob = firstBob;
    await login(alice, s.baseUrl, 'alice', '爱丽丝');
    await login(bob, s.baseUrl, 'bob', '小明');

    // Alice opens a chat with bob and writes.
    await startChat(alice, 'bob');
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

    // Recall through the context menu (right-click); bob's menu on alice's message has no 撤回.
    await bob.click('#messages .msg[data-seq="6"] .bubble', { button: 'right' });
    expect(await bob.$$eval('#context-menu [data-action]', (els) => els.map((e) => e.getAttribute('data-action')))).toEqual(['copy']);
    await bob.keyboard.press('Escape');
    await alice.click('#messages .msg[data-seq="6"] .bubble', { button: 'right' });
    await alice.click('#context-menu [data-action="recall"]');
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
