/**
 * The web page's details in headless Chromium: errors in Chinese and in place, the
 * connection banner, the conversation list at 390×844 (a 200-character preview keeps the
 * badge inside its row), the context menu (right-click and long-press, no recall after the
 * window), the 表情 panel, the failed-send mark in dark mode, video bubbles and a real
 * upload progress bar. Screenshots in light and dark go to test-output/web/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../packages/sdk/test/support/server.js';
import { sampleMp4, samplePdf, samplePng } from '../../../packages/server/test/support/media-samples.js';
import { Browsers, login, sendText, shoot, startChat, waitBubbles } from './browser.js';

const browsers = new Browsers();
const PHONE = { width: 390, height: 844 };

function noNativeDialogs(page: Page): void {
  page.on('dialog', (d) => expect.fail(`native dialog: ${d.message()}`));
}

/*
 * Layout is read with page.evaluate, the element looked up inside it. page.$eval finds the
 * element in one call and runs the function in a second; the page re-renders the list and the
 * chat view wholesale (a profile, a receipt, an upload's end), and an element replaced in
 * between is detached: zero rects and empty computed styles.
 */

/** Box of an element, for layout assertions. */
function box(page: Page, selector: string) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) throw new Error(`no element matches ${sel}`);
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, overflow: el.scrollWidth > el.clientWidth };
  }, selector);
}

describe('web page details', () => {
  let webDir: string;
  beforeAll(async () => {
    webDir = await browsers.build();
  }, 60_000);
  afterAll(() => browsers.close());

  it('explains errors in Chinese where they happen and shows the connection state as a banner', async () => {
    const s = await startServer({ webDir });
    await s.login('bob', '小明');
    const { ctx, page } = await browsers.open(PHONE);
    noNativeDialogs(page);
    await page.goto(`${s.baseUrl}/`);
    await page.click('#login-btn');
    expect(await page.textContent('#login-error')).toBe('请输入用户 ID');
    await page.fill('#login-user', 'bad id!');
    await page.click('#login-btn');
    expect(await page.textContent('#login-error')).toBe('用户 ID 只能包含字母、数字、下划线和短横线，最多 64 个字符');
    await shoot(page, 'login-error');
    await login(page, s.baseUrl, 'alice', '爱丽丝');
    expect(await page.isHidden('#conn-banner')).toBe(true);

    // 发起聊天 with an unknown user: said so, and no chat opens.
    await page.fill('#new-chat-user', 'ghost');
    await page.press('#new-chat-user', 'Enter');
    await page.waitForFunction(() => document.getElementById('new-chat-error')?.textContent !== '');
    expect(await page.textContent('#new-chat-error')).toBe('用户“ghost”不存在');
    expect(await page.isHidden('#composer')).toBe(true);
    expect(await page.$$('[data-conv]')).toHaveLength(0);
    await shoot(page, 'new-chat-unknown');
    await page.fill('#new-chat-user', 'alice');
    await page.press('#new-chat-user', 'Enter');
    await page.waitForFunction(() => document.getElementById('new-chat-error')?.textContent === '不能和自己发起聊天');
    await page.fill('#new-chat-user', 'a/b');
    await page.press('#new-chat-user', 'Enter');
    expect(await page.textContent('#new-chat-error')).toContain('用户 ID 只能包含');

    // Group form validation.
    await page.click('#new-group');
    await page.click('#group-create');
    expect(await page.textContent('#group-error')).toBe('请输入群名称');
    await page.fill('#group-name', '测试群');
    await page.click('#group-create');
    expect(await page.textContent('#group-error')).toBe('请至少添加一位成员');
    await page.fill('#group-members', 'bob, ghost');
    await page.click('#group-create');
    await page.waitForFunction(() => document.getElementById('group-error')?.textContent === '以下用户不存在：ghost');
    await page.click('#group-cancel');

    // A known user opens a chat; going offline shows the banner (never the login form).
    await startChat(page, 'bob');
    expect(await page.textContent('#chat-title')).toBe('小明');
    await ctx.setOffline(true);
    await page.waitForSelector('body[data-state="offline"]', { timeout: 10_000 });
    expect(await page.textContent('#conn-banner')).toBe('网络不可用，请检查网络设置');
    expect(await page.isHidden('#login')).toBe(true);
    await shoot(page, 'banner-offline');
    await ctx.setOffline(false);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    expect(await page.isHidden('#conn-banner')).toBe(true);
  }, 90_000);

  it('keeps the badge and time inside the list item for a 200-character preview and a long nickname (390×844)', async () => {
    const s = await startServer({ webDir });
    const longName = '一个非常非常非常非常长的昵称用来测试列表里的省略号效果是否正确';
    const bob = await s.login('bob', longName);
    const { page } = await browsers.open(PHONE);
    await login(page, s.baseUrl, 'alice', '爱丽丝');
    const text = '这是一条很长的消息'.repeat(23).slice(0, 200);
    expect([...text]).toHaveLength(200);
    for (let i = 0; i < 3; i++) {
      const r = await s.http('POST', '/api/messages', { token: bob, body: { to: 'u:alice', clientMsgId: `long-${i}`, kind: 'text', body: { text } } });
      expect(r.status).toBe(200);
    }
    await page.waitForFunction(() => document.querySelector('[data-conv="d:alice:bob"] [data-testid="unread"]')?.textContent === '3');
    await page.waitForFunction((n) => document.querySelector('[data-conv="d:alice:bob"] .conv-name')?.textContent === n, longName);
    // Measured in one go: the list re-renders when profiles or receipts arrive.
    const m = await page.evaluate(() => {
      const li = document.querySelector('[data-conv="d:alice:bob"]') as Element;
      const rect = (sel: string | null) => {
        const r = (sel ? (li.querySelector(sel) as Element) : li).getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      };
      const cut = (sel: string) => {
        const el = li.querySelector(sel) as HTMLElement;
        return { overflow: el.scrollWidth > el.clientWidth, textOverflow: getComputedStyle(el).textOverflow };
      };
      return { row: rect(null), badge: rect('.badge'), time: rect('.conv-time'), name: cut('.conv-name'), last: cut('.conv-last') };
    });
    const { row } = m;
    expect(row.right - row.left).toBeGreaterThan(PHONE.width - 2); // the sidebar is the whole width (less its border)
    for (const b of [m.badge, m.time]) {
      expect(b.left).toBeGreaterThanOrEqual(row.left);
      expect(b.right).toBeLessThanOrEqual(row.right);
      expect(b.top).toBeGreaterThanOrEqual(row.top);
      expect(b.bottom).toBeLessThanOrEqual(row.bottom);
    }
    // The texts are cut with an ellipsis, not the badge.
    expect(m.last).toEqual({ overflow: true, textOverflow: 'ellipsis' });
    expect(m.name).toEqual({ overflow: true, textOverflow: 'ellipsis' });
    await shoot(page, 'list-390');
    // Full-width buttons fill the sidebar's padding box.
    const btn = await box(page, '#new-group');
    expect(btn.right - btn.left).toBeGreaterThan(PHONE.width - 40);
    await page.click('[data-conv="d:alice:bob"]');
    await page.waitForSelector('#messages .msg');
    const rights = await page.evaluate(() => [...document.querySelectorAll('#messages .msg .bubble')].map((e) => e.getBoundingClientRect().right));
    expect(rights).toHaveLength(3);
    for (const r of rights) {
      expect(r).toBeGreaterThan(PHONE.width / 2);
      expect(r).toBeLessThanOrEqual(PHONE.width);
    }
    await shoot(page, 'chat-390');
  }, 60_000);

  it('opens a context menu on right-click and long-press with 复制 and 撤回; no recall after the window or by a tap', async () => {
    const s = await startServer({ webDir });
    const [{ page: alice }, { page: bob }] = await Promise.all([browsers.open(), browsers.open({ ...PHONE })]);
    noNativeDialogs(alice);
    noNativeDialogs(bob);
    await login(alice, s.baseUrl, 'alice', '爱丽丝');
    await login(bob, s.baseUrl, 'bob', '小明');
    await startChat(alice, 'bob');
    await sendText(alice, '复制我');
    await sendText(alice, '撤回我');
    await waitBubbles(alice, ['复制我', '撤回我']);

    // A tap (click) on one's own bubble does nothing.
    await alice.click('#messages .msg[data-seq="2"] .bubble');
    expect(await alice.$('#context-menu')).toBeNull();
    // Right-click: 复制 copies.
    await alice.click('#messages .msg[data-seq="1"] .bubble', { button: 'right' });
    expect(await alice.$$eval('#context-menu [data-action]', (els) => els.map((e) => e.textContent))).toEqual(['复制', '撤回']);
    await shoot(alice, 'context-menu');
    await alice.click('#context-menu [data-action="copy"]');
    expect(await alice.evaluate(() => navigator.clipboard.readText())).toBe('复制我');
    await alice.waitForSelector('#toast:not([hidden])');
    expect(await alice.textContent('#toast')).toBe('已复制');

    // Long-press (touch) on bob's phone: his menu on alice's message has no 撤回.
    await bob.click('[data-conv="d:alice:bob"]');
    await waitBubbles(bob, ['复制我', '撤回我']);
    await bob.dispatchEvent('#messages .msg[data-seq="2"] .bubble', 'pointerdown', { pointerType: 'touch', clientX: 100, clientY: 200, isPrimary: true });
    await bob.waitForSelector('#context-menu', { timeout: 2000 });
    expect(await bob.$$eval('#context-menu [data-action]', (els) => els.map((e) => e.getAttribute('data-action')))).toEqual(['copy']);
    await bob.keyboard.press('Escape');
    await bob.waitForSelector('#context-menu', { state: 'detached' });

    // Past the recall window the menu offers only 复制.
    await alice.evaluate(() => {
      const real = Date.now;
      Date.now = () => real() + 121_000;
    });
    await alice.click('#messages .msg[data-seq="2"] .bubble', { button: 'right' });
    expect(await alice.$$eval('#context-menu [data-action]', (els) => els.map((e) => e.getAttribute('data-action')))).toEqual(['copy']);
    await alice.keyboard.press('Escape');
    await alice.evaluate(() => window.location.reload());
    await alice.waitForSelector('body[data-state="connected"]');
    await alice.click('[data-conv="d:alice:bob"]');
    await alice.click('#messages .msg[data-seq="2"] .bubble', { button: 'right' });
    await alice.click('#context-menu [data-action="recall"]');
    await bob.waitForFunction(() => document.querySelector('#messages .notice[data-seq="2"]')?.textContent === '爱丽丝撤回了一条消息');
    await alice.waitForFunction(() => document.querySelector('#messages .notice[data-seq="2"]')?.textContent === '你撤回了一条消息');
  }, 90_000);

  it('has line icons, a 表情 panel, a favicon, a red failed mark in dark mode, video bubbles and an upload progress bar', async () => {
    const s = await startServer({ webDir, moderation: { keywords: { enabled: true, words: ['违禁词'] } } });
    await s.login('bob', '小明');
    const { page } = await browsers.open();
    noNativeDialogs(page);
    await login(page, s.baseUrl, 'alice', '爱丽丝');
    expect(await page.getAttribute('link[rel="icon"]', 'href')).toBe('favicon.svg');
    const fav = await fetch(`${s.baseUrl}/favicon.svg`);
    expect(fav.status).toBe(200);
    expect(fav.headers.get('content-type')).toContain('image/svg+xml');
    await startChat(page, 'bob');
    // UI controls are SVG line icons, not colour emoji.
    for (const sel of ['#emoji-btn', '#logout', 'label[data-icon="image"]']) {
      expect(await page.$eval(sel, (el) => ({ svg: !!el.querySelector('svg.icon'), text: (el.textContent ?? '').trim() }))).toEqual({ svg: true, text: '' });
    }
    await page.click('#emoji-btn');
    await page.waitForSelector('#emoji-panel:not([hidden])');
    await page.fill('#composer-input', '你好');
    await page.click('#emoji-panel .emoji >> nth=0');
    expect(await page.inputValue('#composer-input')).toBe('你好😀');
    await shoot(page, 'emoji-panel');
    await page.press('#composer-input', 'Enter');
    await waitBubbles(page, ['你好😀']);

    // A text over the limit is refused before sending, in place.
    await sendText(page, '长'.repeat(5001));
    await page.waitForSelector('#toast:not([hidden])');
    expect(await page.textContent('#toast')).toBe('消息太长了，最多 5000 个字');
    expect([...(await page.inputValue('#composer-input'))]).toHaveLength(5001);
    await page.fill('#composer-input', '');
    // A text the server refuses fails: the "!" is white on red in both colour schemes, the reason in Chinese.
    await sendText(page, '这里有违禁词');
    await page.waitForSelector('#messages .failed-mark');
    await page.waitForFunction(() => document.getElementById('toast')?.textContent === '内容含有不当信息，未能发送');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const c = await page.evaluate(() => {
        const el = document.querySelector('#messages .failed-mark') as Element;
        return { bg: getComputedStyle(el).backgroundColor, fg: getComputedStyle(el).color };
      });
      expect(c).toEqual({ bg: 'rgb(250, 81, 81)', fg: 'rgb(255, 255, 255)' });
    }
    await shoot(page, 'failed-mark');

    // A video upload: a progress bar moves while the (throttled) upload runs, then a 16:9 bubble with its duration.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 600 * 1024 });
    await page.setInputFiles('#media-input', { name: '爬山.mp4', mimeType: 'video/mp4', buffer: sampleMp4(7_000, 2 * 1024 * 1024) });
    await page.waitForSelector('#messages .uploading progress');
    await page.waitForFunction(
      () => {
        const v = (document.querySelector('#messages .uploading progress') as HTMLProgressElement | null)?.value ?? 0;
        return v > 0 && v < 100;
      },
      undefined,
      { timeout: 10_000 },
    );
    await shoot(page, 'upload-progress');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.waitForSelector('#messages .msg[data-status="sent"] .video', { timeout: 20_000 });
    expect(await page.$('#messages .uploading')).toBeNull();
    expect(await page.textContent('#messages .video .duration')).toBe('0:07');
    const v = await box(page, '#messages .video');
    expect((v.right - v.left) / (v.bottom - v.top)).toBeCloseTo(16 / 9, 1);
    // An image keeps its size (no layout jump), a document becomes a file card with name and size.
    await page.setInputFiles('#media-input', { name: '风景.png', mimeType: 'image/png', buffer: samplePng(320, 180) });
    await page.waitForSelector('#messages .msg[data-status="sent"] .bubble.kind-image img[width="320"][height="180"]', { timeout: 20_000 });
    // The bubble hugs the image: its right edge meets the avatar's gap, as for any bubble.
    const gap = await page.evaluate(() => {
      const b = document.querySelector('#messages .bubble.kind-image') as Element;
      const li = b.closest('.msg') as HTMLElement;
      return (li.querySelector('.avatar') as HTMLElement).getBoundingClientRect().left - (b.querySelector('img') as HTMLElement).getBoundingClientRect().right;
    });
    expect(gap).toBe(8);
    const pdf = samplePdf();
    await page.setInputFiles('#media-input', { name: '行程安排.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.waitForSelector('#messages .msg[data-status="sent"] .file', { timeout: 20_000 });
    expect(await page.textContent('#messages .file .file-name')).toBe('行程安排.pdf');
    expect(await page.textContent('#messages .file small')).toMatch(/^\d+(\.\d)? (B|KB)$/);
    await page.$eval('#messages .video', (el) => el.scrollIntoView());
    await shoot(page, 'video');
  }, 90_000);
});
