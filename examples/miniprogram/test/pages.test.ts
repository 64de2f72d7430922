/**
 * Page logic against a real MiniIM server (port 0) on the SDK's fake `wx` runtime: the list and
 * chat pages' modules with captured `setData`, as `Page({...})` would drive them.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { AGREE_BUTTON_ID } from '../lib/privacy.js';
import { ImSession } from '../lib/session.js';
import { ChatLogic, initialChatData } from '../pages/chat/chat-logic.js';
import { initialListData, ListLogic } from '../pages/index/list-logic.js';
import { AppFakeWx } from './support/app-fake-wx.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';

const texts = (items: Array<{ msg: { kind: string; body: unknown; recalled?: unknown } }>) =>
  items.map((i) => (i.msg.recalled ? '(recalled)' : String((i.msg.body as { text?: string }).text ?? `[${i.msg.kind}]`)));

describe('list and chat pages', () => {
  it('log in, list with unread, open, send, receive, typing, read receipt, recall, background and back', async () => {
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    const bob = await loggedIn(s, 'bob', '鲍勃');
    const listView = captureView(initialListData());
    const list = new ListLogic(listView, alice.session, ['tmpl-1']);
    list.load();
    expect(listView.data.me.nickname).toBe('爱丽丝');

    // Bob writes first: the list shows the row with an unread badge and the preview.
    await bob.session.need().sendText('u:alice', '你好，在吗？');
    await until(() => listView.data.items[0]?.unread === 1 && listView.data.items[0]?.title === '鲍勃', 'unread 1 and the name');
    const row = listView.data.items[0];
    expect(row).toMatchObject({ conv: 'd:alice:bob', title: '鲍勃', preview: '你好，在吗？', kind: 'direct' });

    // Tapping opens the chat page.
    list.open(row.conv);
    expect(alice.fake.navigations.pop()).toBe('/pages/chat/chat?conv=d%3Aalice%3Abob');
    const chatView = captureView(initialChatData());
    const chat = new ChatLogic(chatView, alice.session);
    await chat.open({ conv: encodeURIComponent(row.conv) });
    expect(chatView.data.title).toBe('鲍勃');
    expect(texts(chatView.data.items)).toEqual(['你好，在吗？']);
    expect(chatView.data.items[0]).toMatchObject({ mine: false, showTime: true, name: '' });
    expect(chatView.data.scrollInto).toBe(chatView.data.items[0].anchor);
    // Opening read it: the badge goes away.
    await until(() => listView.data.items[0]?.unread === 0, 'read on open');

    // Alice replies: shown at once as "sending", then "sent" with the same row key.
    const sending = chat.sendText('  在的  ');
    await until(() => chatView.data.items.length === 2, 'local echo');
    const mine = chatView.data.items[1];
    expect(mine.mine).toBe(true);
    const acked = await sending;
    expect(acked?.status).toBe('sent');
    await until(() => chatView.data.items[1]?.msg.status === 'sent', 'acked in the view');
    expect(chatView.data.items[1].key).toBe(mine.key);
    expect(texts(chatView.data.items)).toEqual(['你好，在吗？', '在的']);
    await until(() => bob.session.need().messages('d:alice:bob').length === 2, 'bob receives');

    // Bob types, then reads: typing hint and the "已读" receipt.
    bob.session.need().typing('u:alice');
    await until(() => chatView.data.typingText === '对方正在输入…', 'typing shown');
    await bob.session.need().markRead('d:alice:bob');
    await until(() => chatView.data.items[1]?.read === true, 'read receipt');

    // Long press on her message: copy and recall; recall reaches Bob.
    expect(chat.menuFor(mine.key)).toEqual(['复制', '撤回']);
    expect(chat.menuFor(chatView.data.items[0].key)).toEqual(['复制']);
    // Copying is a privacy API: the 隐私保护指引 popup comes first; the agreement button lets it go on.
    alice.fake.nextActionSheetTap = 0;
    const copying = chat.longPress(mine.key);
    await until(() => chatView.data.privacy.shown, 'privacy popup');
    expect(chatView.data.privacy.referrer).toBe('setClipboardData');
    alice.fake.tapAgreeButton(AGREE_BUTTON_ID);
    chat.agreePrivacy();
    await copying;
    expect(chatView.data.privacy.shown).toBe(false);
    expect(alice.fake.clipboard).toBe('在的');
    alice.fake.nextActionSheetTap = 1;
    await chat.longPress(mine.key);
    await until(() => !!chatView.data.items[1]?.msg.recalled, 'recalled in the view');
    await until(() => !!bob.session.need().messages('d:alice:bob')[1]?.recalled, 'recalled at bob');
    await until(() => listView.data.items[0]?.preview === '你撤回了一条消息', 'list preview of a recall');

    // A typed draft survives background and a reconnect, and shows on the list.
    chat.onInput('还没写完的话');
    chat.hide();
    alice.fake.hide();
    await until(() => chatView.data.stateText === '正在重新连接…', 'reconnecting banner');
    expect(listView.data.stateText).toBe('正在重新连接…');
    await bob.session.need().sendText('u:alice', '你去哪了');
    await bob.session.need().sendText('u:alice', '回来说一声');
    alice.fake.show();
    await until(() => chatView.data.stateText === '' && chatView.data.items.length === 4, 'caught up after show');
    expect(texts(chatView.data.items).slice(2)).toEqual(['你去哪了', '回来说一声']);
    list.show();
    await until(() => listView.data.items[0]?.unread === 2, 'unread counted while the chat was hidden');
    expect(listView.data.items[0]).toMatchObject({ draft: '还没写完的话', preview: '回来说一声' });
    expect(alice.session.draft('d:alice:bob')).toBe('还没写完的话');
    chat.show();
    await until(() => listView.data.items[0]?.unread === 0, 'read on show');

    // Pull to refresh asks the server again and stops the spinner.
    await list.refresh();
    expect(alice.fake.pullDownStopped).toBe(1);
    chat.close();
    list.unload();
  });

  it('opens a chat whose first message here arrived live with the messages before it', async () => {
    const s = await startServer();
    const bobToken = await s.login('bob', '鲍勃');
    await s.login('alice', '爱丽丝');
    const post = (i: number, text: string) =>
      s.http('POST', '/api/messages', { token: bobToken, body: { to: 'u:alice', clientMsgId: `m${i}`, kind: 'text', body: { text } } });
    for (let i = 1; i <= 30; i++) expect((await post(i, `第${i}条`)).status).toBe(200);
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    expect((await post(31, '刚到的')).status).toBe(200);
    const client = alice.session.need();
    await until(() => client.messages('d:alice:bob').length === 1, 'the live message held alone');

    const chatView = captureView(initialChatData());
    const chat = new ChatLogic(chatView, alice.session);
    await chat.open({ conv: 'd:alice:bob' });
    await until(() => chatView.data.items.length === 21 && !chatView.data.loadingOlder, 'the page before it loaded');
    expect(texts(chatView.data.items).slice(-3)).toEqual(['第29条', '第30条', '刚到的']);
    expect(chatView.data.hasMore).toBe(true);
    await chat.loadOlder();
    expect(chatView.data.items.length).toBe(31);
    expect(chatView.data.hasMore).toBe(false);
    chat.close();
  });

  it('keeps the reader where they are: older pages without a jump, a "new messages" pill when scrolled up', async () => {
    const s = await startServer();
    const bobToken = await s.login('bob', '鲍勃');
    await s.login('alice', '爱丽丝');
    for (let i = 1; i <= 45; i++) {
      const r = await s.http('POST', '/api/messages', {
        token: bobToken,
        body: { to: 'u:alice', clientMsgId: `m${i}`, kind: 'text', body: { text: `第${i}条` } },
      });
      expect(r.status).toBe(200);
    }
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    const chatView = captureView(initialChatData());
    const chat = new ChatLogic(chatView, alice.session);
    await chat.open({ conv: 'd:alice:bob' });
    expect(chatView.data.items.length).toBe(20);
    expect(chatView.data.hasMore).toBe(true);
    expect(texts(chatView.data.items).at(-1)).toBe('第45条');

    const firstAnchor = chatView.data.items[0].anchor;
    await chat.loadOlder();
    expect(texts(chatView.data.items).slice(0, 2)).toEqual(['第6条', '第7条']);
    expect(chatView.data.scrollInto).toBe(firstAnchor); // the row that was on top stays on top
    await chat.loadOlder();
    expect(chatView.data.items.length).toBe(45);
    expect(chatView.data.hasMore).toBe(false);

    // The reader scrolled up: a new message does not move the view, a pill counts it.
    chat.onScroll({ scrollTop: 100, scrollHeight: 5000 }, 600);
    expect(chatView.data.scrollInto).toBe('');
    await s.http('POST', '/api/messages', { token: bobToken, body: { to: 'u:alice', clientMsgId: 'late', kind: 'text', body: { text: '新消息' } } });
    await until(() => chatView.data.items.length === 46, 'new message arrives');
    expect(chatView.data.newCount).toBe(1);
    expect(chatView.data.scrollInto).toBe('');
    chat.jumpToBottom();
    expect(chatView.data.newCount).toBe(0);
    expect(chatView.data.scrollInto).toBe(chatView.data.items[45].anchor);
    // At the bottom, the next one scrolls into view by itself.
    await s.http('POST', '/api/messages', { token: bobToken, body: { to: 'u:alice', clientMsgId: 'later', kind: 'text', body: { text: '又一条' } } });
    await until(() => chatView.data.items.length === 47, 'next message');
    expect(chatView.data.scrollInto).toBe(chatView.data.items[46].anchor);
    expect(chatView.data.newCount).toBe(0);
    chat.close();
  });

  it('failed sends stay with a resend tap; media goes through the upload with progress', async () => {
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    await s.login('bob', '鲍勃');
    const chatView = captureView(initialChatData());
    const chat = new ChatLogic(chatView, alice.session);
    await chat.open({ conv: 'd:alice:bob' });

    // Over the 5,000-character limit: the server refuses for good → failed, tap resends (fails again).
    await chat.sendText('长'.repeat(5001));
    await until(() => chatView.data.items[0]?.msg.status === 'failed', 'failed status');
    const failedKey = chatView.data.items[0].key;
    await chat.resend(failedKey);
    await until(() => chatView.data.items.length === 1 && chatView.data.items[0].msg.status === 'failed', 'still failed, not duplicated');
    expect(alice.fake.toasts.length).toBeGreaterThan(0);

    // An image from the album: uploaded with wx.uploadFile, then sent as an image message.
    const dir = await mkdtemp(path.join(tmpdir(), 'miniim-mp-'));
    const png = path.join(dir, 'a.png');
    await writeFile(png, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'));
    alice.fake.privacyAgreed = true; // agreed earlier (the flow itself: privacy.test.ts)
    alice.fake.nextMedia = [{ tempFilePath: png, size: 68, fileType: 'image', width: 1, height: 1 }];
    await chat.pick('album');
    await until(() => chatView.data.items.some((i) => i.msg.kind === 'image' && i.msg.status === 'sent'), 'image sent');
    const img = chatView.data.items.find((i) => i.msg.kind === 'image');
    expect(String((img?.msg.body as { url: string } | undefined)?.url)).toMatch(/\/media\//);
    chat.close();
  });

  it('restores a saved login; the subscribe prompt treats a missing route as "not configured"', async () => {
    const s = await startServer();
    const first = await loggedIn(s, 'carol', '卡罗尔');
    const fake = new AppFakeWx();
    for (const [k, v] of first.fake.storage) fake.storage.set(k, v);
    const again = new ImSession({ wx: fake.app, baseUrl: s.baseUrl, clientOptions: { persistence: false } });
    expect(again.restore()).toBe(true);
    await again.need().waitConnected();
    expect(again.user?.id).toBe('carol');
    expect(await again.devLoginAvailable()).toBe(true);

    const list = new ListLogic(captureView(initialListData()), again, ['tmpl-1']);
    list.load();
    fake.nextSubscribe = { 'tmpl-1': 'accept' };
    const outcome = await list.enableNotifications();
    // This server has no mini-program configured: the subscribe routes do not exist.
    const route = await s.http('POST', '/api/wechat/subscribe', { token: await s.login('carol'), body: { results: {} } });
    expect(route.status).toBe(404);
    expect(outcome).toBe('not_configured');
    expect(fake.toasts.at(-1)).toBe('服务器未配置消息提醒');
    expect(list.startChat('bad id!')).toBe(false);
    expect(list.startChat('dave')).toBe(true);
    expect(fake.navigations.at(-1)).toBe('/pages/chat/chat?conv=d%3Acarol%3Adave');
    again.client?.dispose();
    await again.logout();
    expect(fake.storage.has('miniim:auth')).toBe(false);
  });

  it('where WeChat is configured, an account without a WeChat login is offered no subscribe prompt (and the server refuses it)', async () => {
    // A configured mini-program; its API is never called on this path (the account has no WeChat identity).
    const s = await startServer({ wechat: { apps: [{ appId: 'wxpagestest000001', secret: 'pages-secret' }], apiBase: 'http://127.0.0.1:9' } });
    const { session } = await loggedIn(s, 'erin', '艾琳');
    const view = captureView(initialListData());
    const list = new ListLogic(view, session, ['tmpl-1']);
    list.load();
    const offered = await s.http('GET', '/api/wechat/subscribe', { token: await s.login('erin') });
    expect(offered.status).toBe(200);
    expect(offered.body.templateIds).toEqual([]);
    await until(() => view.patches.some((p) => 'canSubscribe' in p), 'subscribe templates fetched');
    expect(view.data.canSubscribe).toBe(false);
    const route = await s.http('POST', '/api/wechat/subscribe', { token: await s.login('erin'), body: { results: {} } });
    expect(route.status).toBe(403);
  });
});
