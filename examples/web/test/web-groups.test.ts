/**
 * Groups and receipts on the web page with three (four) users in headless Chromium:
 * members are named even without a 1:1 chat, a new group's header never shows its id,
 * "N 人已读" with a reader list, the members panel, and 已读 / 未读 in a direct chat on the
 * latest read message only (also after read pushes were missed while offline).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../packages/sdk/test/support/server.js';
import { Browsers, login, outputDir, sendText, shoot, startChat, waitBubbles } from './browser.js';

const browsers = new Browsers();

function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));
}

describe('web page: groups, names and receipts', () => {
  let webDir: string;
  beforeAll(async () => {
    webDir = await browsers.build();
  }, 60_000);
  afterAll(() => browsers.close());

  it('names group members without a 1:1 chat, never shows a group id, counts readers and lists members', async () => {
    const s = await startServer({ webDir });
    await s.login('dave', '大卫');
    // Bob is on a phone-sized screen (390×844).
    const [{ page: alice }, { page: bob }, { page: carol }] = await Promise.all([browsers.open(), browsers.open({ width: 390, height: 844 }), browsers.open()]);
    for (const p of [alice, bob, carol]) p.on('dialog', (d) => expect.fail(`native dialog: ${d.message()}`));
    await login(alice, s.baseUrl, 'alice', '爱丽丝');
    await login(bob, s.baseUrl, 'bob', '小明');
    await login(carol, s.baseUrl, 'carol', '卡罗尔');

    // Alice creates the group; every title the header ever shows is recorded.
    await alice.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __titles: string[] }).__titles = seen;
      const el = document.getElementById('chat-title') as HTMLElement;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
    });
    await alice.click('#new-group');
    await alice.fill('#group-name', '周末爬山');
    await alice.fill('#group-members', 'bob，carol');
    await alice.click('#group-create');
    await alice.waitForSelector('#group-dialog:not([open])', { state: 'attached' });
    await alice.waitForSelector('[data-conv^="g:"]');
    const conv = (await alice.getAttribute('[data-conv^="g:"]', 'data-conv')) as string;
    const gid = conv.slice(2);
    expect(await alice.textContent('#chat-title')).toBe('周末爬山');
    const titles = await alice.evaluate(() => (window as unknown as { __titles: string[] }).__titles);
    expect(titles.length).toBeGreaterThan(0);
    for (const t of titles) expect(t).not.toContain(gid);

    // Dave joins through the API: bob, who has no chat with dave or carol, sees names.
    const aliceToken = await alice.evaluate(() => JSON.parse(localStorage.getItem('miniim:web:auth') ?? '{}').token as string);
    expect((await s.http('POST', `/api/groups/${gid}/members`, { token: aliceToken, body: { userIds: ['dave'] } })).status).toBe(200);
    await bob.click(`[data-conv="${conv}"]`);
    await bob.waitForFunction(() => [...document.querySelectorAll('#messages .notice')].some((n) => n.textContent === '大卫 加入了群聊'));
    await carol.click(`[data-conv="${conv}"]`);
    await sendText(carol, '大家好，我是卡罗尔');
    await bob.waitForSelector('#messages .msg .sender');
    expect(await texts(bob, '#messages .msg .sender')).toEqual(['卡罗尔']);
    expect(await bob.textContent('#messages .msg .avatar')).toBe('卡');
    expect(await bob.textContent(`[data-conv="${conv}"] .conv-last`)).toBe('卡罗尔: 大家好，我是卡罗尔');
    expect(await bob.textContent('#chat-title')).toBe('周末爬山');

    // Alice's message: read by bob and carol (their chats are open), not by dave.
    await alice.waitForSelector('#messages .msg .sender');
    await sendText(alice, '周六八点出发');
    await waitBubbles(bob, ['大家好，我是卡罗尔', '周六八点出发']);
    await waitBubbles(carol, ['大家好，我是卡罗尔', '周六八点出发']);
    await sendText(bob, '好的');
    const mine = '#messages .msg.mine [data-testid="readers"]';
    await alice.waitForFunction((sel) => document.querySelector(sel)?.textContent === '2 人已读', mine, { timeout: 10_000 });
    await alice.click(mine);
    await alice.waitForSelector('[data-testid="read-list"]');
    expect(await texts(alice, '[data-testid="read-list"] .person-name')).toEqual(['小明', '卡罗尔']);
    expect(await texts(alice, '[data-testid="unread-list"] .person-name')).toEqual(['大卫']);
    await shoot(alice, 'group-readers');

    // Members panel: names and roles of everyone, from one member-list request.
    await alice.click('#side-close');
    await bob.click('#members-btn');
    await bob.waitForSelector('[data-testid="members"] .person');
    expect(await texts(bob, '#side-title')).toEqual(['群成员（4）']);
    expect(await texts(bob, '[data-testid="members"] .person-name')).toEqual(['爱丽丝', '小明', '卡罗尔', '大卫']);
    expect(await texts(bob, '[data-testid="members"] .tag')).toEqual(['群主']);
    await shoot(bob, 'group-members');
    await bob.click('#side-close');
    await shoot(bob, 'group-chat');
  }, 120_000);

  it('shows 已读 on the latest read message only and 未读 on an unread last one, also after missed read pushes', async () => {
    const s = await startServer({ webDir });
    const [{ page: firstAlice, ctx: actx }, { page: bob }] = await Promise.all([browsers.open(), browsers.open()]);
    let alice = firstAlice;
    await login(alice, s.baseUrl, 'alice', '爱丽丝');
    await login(bob, s.baseUrl, 'bob', '小明');
    await startChat(alice, 'bob');
    for (const t of ['一', '二', '三']) await sendText(alice, t);
    await waitBubbles(alice, ['一', '二', '三']);
    const receipts = () =>
      alice.$$eval('#messages .msg.mine', (els) =>
        els.map((e) => `${e.querySelector('.bubble')?.textContent}:${e.querySelector('.receipt')?.textContent ?? ''}`),
      );
    await alice.waitForFunction(() => document.querySelectorAll('#messages .receipt').length === 1);
    expect(await receipts()).toEqual(['一:', '二:', '三:未读']);

    await bob.click('[data-conv="d:alice:bob"]');
    await alice.waitForSelector('#messages .receipt.read');
    expect(await receipts()).toEqual(['一:', '二:', '三:已读']);
    await sendText(alice, '四');
    await waitBubbles(bob, ['一', '二', '三', '四']);
    await alice.waitForFunction(() => document.querySelector('#messages .msg:last-child .receipt')?.textContent === '已读');
    expect(await receipts()).toEqual(['一:', '二:', '三:', '四:已读']);

    // Bob leaves the chat; alice sends 五 (未读), then closes her tab; bob reads while alice
    // cannot hear the read push. Alice comes back (same profile): 已读 moves to 五.
    await bob.click('#logout');
    await sendText(alice, '五');
    await alice.waitForFunction(() => document.querySelector('#messages .msg:last-child .receipt')?.textContent === '未读');
    await alice.close();
    await login(bob, s.baseUrl, 'bob', '小明');
    await bob.click('[data-conv="d:alice:bob"]');
    await waitBubbles(bob, ['一', '二', '三', '四', '五']);
    await bob.waitForSelector('[data-conv="d:alice:bob"] [data-testid="unread"]', { state: 'detached' });
    alice = await actx.newPage();
    await alice.goto(`${s.baseUrl}/`);
    await alice.waitForSelector('body[data-state="connected"]');
    await alice.click('[data-conv="d:alice:bob"]');
    await alice.waitForFunction(() => document.querySelector('#messages .msg:last-child .receipt')?.textContent === '已读', undefined, { timeout: 10_000 });
    expect(await receipts()).toEqual(['一:', '二:', '三:', '四:', '五:已读']);
    await alice.screenshot({ path: path.join(outputDir, 'direct-receipts.png') });
  }, 120_000);
});
