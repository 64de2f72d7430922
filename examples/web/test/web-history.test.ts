/**
 * Older messages in the web page's chat view: a conversation whose first message this page saw
 * live shows what came before it when opened, and scrolling to the top loads older pages until
 * the first message, keeping the messages in view where they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSynced, makeClient } from '../../../packages/sdk/test/support/clients.js';
import { startServer } from '../../../packages/sdk/test/support/server.js';
import { Browsers, bubbles, login, shoot } from './browser.js';

const browsers = new Browsers();
/** More than two pages of the page's history requests (30 messages each). */
const EARLIER = 75;

describe('web chat page: older messages', () => {
  let webDir: string;
  beforeAll(async () => {
    webDir = await browsers.build();
  }, 60_000);
  afterAll(() => browsers.close());

  it('opening a chat first seen live shows the messages before it; scrolling up loads the rest, in place', async () => {
    const s = await startServer({ webDir });
    await s.login('bob', '小明');
    const alice = await makeClient(s, 'alice');
    await connectSynced(alice);
    for (let i = 1; i <= EARLIER; i++) await alice.sendText('u:bob', `早先的消息 ${i}`);

    const { page: bob } = await browsers.open({ width: 390, height: 844 });
    // Read receipts the page sends: older messages arriving in pages are already read and must not each send one.
    const reads: number[] = [];
    bob.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        const frame = typeof payload === 'string' ? (JSON.parse(payload) as { op?: string; seq?: number }) : {};
        if (frame.op === 'read') reads.push(frame.seq ?? 0);
      }),
    );
    await login(bob, s.baseUrl, 'bob', '小明');
    // Bob's page starts with the conversation in its list but none of its messages; one arrives live.
    await bob.waitForSelector('[data-conv="d:alice:bob"]');
    await alice.sendText('u:bob', '刚到的消息');
    await bob.waitForFunction(() => document.querySelector('[data-conv="d:alice:bob"]')?.textContent?.includes('刚到的消息'));
    await bob.click('[data-conv="d:alice:bob"]');

    // The view fills with the page before the live message, scrolled to the newest.
    await bob.waitForFunction(() => document.querySelectorAll('#messages .msg').length > 1, undefined, { timeout: 15_000 });
    await bob.waitForSelector('#messages .history-edge', { state: 'detached' });
    const first = await bubbles(bob);
    expect(first.at(-1)).toBe('刚到的消息');
    expect(first.at(-2)).toBe(`早先的消息 ${EARLIER}`);
    expect(first.length).toBeLessThan(EARLIER + 1);
    const atBottom = await bob.$eval('#messages', (ol) => ol.scrollHeight - ol.scrollTop - ol.clientHeight < 60);
    expect(atBottom).toBe(true);
    await shoot(bob, 'history-opened-390');

    // Scrolling to the top loads older pages; the message that was at the top stays in view.
    for (let round = 0; round < 10; round++) {
      const shown = await bob.$$eval('#messages .msg', (els) => els.length);
      if (shown === EARLIER + 1) break;
      const topSeq = await bob.$eval('#messages .msg', (el) => el.getAttribute('data-seq'));
      await bob.$eval('#messages', (ol) => {
        ol.scrollTop = 0;
      });
      await bob.waitForFunction((n) => document.querySelectorAll('#messages .msg').length > n, shown, { timeout: 15_000 });
      await bob.waitForFunction(() => !document.querySelector('#messages .history-edge')?.textContent?.includes('加载中'));
      const kept = await bob.$eval(
        '#messages',
        (ol, seq) => {
          const el = ol.querySelector(`.msg[data-seq="${seq}"]`) as HTMLElement;
          const top = el.getBoundingClientRect().top - ol.getBoundingClientRect().top;
          return top >= 0 && top < ol.clientHeight;
        },
        topSeq,
      );
      expect(kept).toBe(true);
    }
    const all = await bubbles(bob);
    expect(all).toEqual([...Array.from({ length: EARLIER }, (_, i) => `早先的消息 ${i + 1}`), '刚到的消息']);
    await bob.$eval('#messages', (ol) => {
      ol.scrollTop = 0;
    });
    expect(await bob.textContent('#messages .history-edge')).toBe('没有更早的消息了');
    // One receipt when the chat opened (up to the live message), none for the pages of older ones.
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThanOrEqual(2);
    expect(Math.max(...reads)).toBe(EARLIER + 1);
    await shoot(bob, 'history-top-390');
  }, 90_000);
});
