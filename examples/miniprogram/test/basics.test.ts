/**
 * The missing basics (issue 19 item 8): the @ picker sends mention entities, the member list has
 * nicknames and avatars, the "me" page logs out, reminder templates come from the server's
 * subscribe endpoint, conversations can be pinned and deleted.
 */
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { startWechatServer, TEMPLATE } from '../../../packages/server/test/support/wechat-server.js';
import { ImSession } from '../lib/session.js';
import { ChatLogic, initialChatData } from '../pages/chat/chat-logic.js';
import { initialListData, ListLogic } from '../pages/index/list-logic.js';
import { initialMeData, MeLogic } from '../pages/me/me-logic.js';
import { initialMembersData, MembersLogic } from '../pages/members/members-logic.js';
import { AppFakeWx } from './support/app-fake-wx.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';

describe('missing basics', () => {
  it('@ picker: typing "@" lists members by nickname, a pick sends the mention entity; members page; "所有人" for the owner', async () => {
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    const bob = await loggedIn(s, 'bob', '鲍勃');
    await s.login('carol', '卡罗尔');
    const group = await alice.session.need().createGroup('周末', ['bob', 'carol']);
    await until(() => !!bob.session.need().conversation(`g:${group.id}`), 'bob has the group');

    const view = captureView(initialChatData());
    const chat = new ChatLogic(view, bob.session);
    await chat.open({ conv: `g:${group.id}` });
    chat.onInput('周六见 @');
    await chat.openMentions();
    expect(view.data.mention.shown).toBe(true);
    expect(view.data.mention.candidates.map((c) => c.name)).toEqual(['爱丽丝', '卡罗尔']); // not himself, no 所有人
    chat.pickMention('carol');
    expect(view.data.draft).toBe('周六见 @卡罗尔 ');
    const sent = await chat.sendText(view.data.draft);
    expect(sent?.body).toMatchObject({ text: '周六见 @卡罗尔', mentions: ['carol'] });

    // The owner may mention everyone.
    const aliceView = captureView(initialChatData());
    const aliceChat = new ChatLogic(aliceView, alice.session);
    await aliceChat.open({ conv: `g:${group.id}` });
    await until(() => aliceView.data.title === '周末', 'group loaded');
    aliceChat.onInput('@');
    await aliceChat.openMentions();
    expect(aliceView.data.mention.candidates[0].name).toBe('所有人');
    aliceChat.pickMention('*');
    expect((await aliceChat.sendText(aliceView.data.draft))?.body).toMatchObject({ mentionAll: true });

    // Members page: names and roles, owner first; tapping a member opens the direct chat.
    const mv = captureView(initialMembersData());
    const members = new MembersLogic(mv, bob.session);
    await members.load({ id: group.id });
    expect(mv.data.members.map((m) => `${m.name}:${m.roleText}`)).toEqual(['爱丽丝:群主', '鲍勃:', '卡罗尔:']);
    members.open('carol');
    expect(bob.fake.navigations.at(-1)).toBe('/pages/chat/chat?conv=d%3Abob%3Acarol');
    chat.close();
    aliceChat.close();
  });

  it('pin puts a conversation first; delete hides it (and its draft) until a new message comes', async () => {
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    const bobToken = await s.login('bob', '鲍勃');
    const carolToken = await s.login('carol', '卡罗尔');
    const say = (token: string, text: string) =>
      s.http('POST', '/api/messages', { token, body: { to: 'u:alice', clientMsgId: `${text}-${Date.now()}`, kind: 'text', body: { text } } });
    await say(bobToken, '鲍勃的消息');
    await say(carolToken, '卡罗尔的消息');
    const view = captureView(initialListData());
    const list = new ListLogic(view, alice.session);
    list.load();
    await until(() => view.data.items.map((i) => i.title).join() === '卡罗尔,鲍勃', 'newest first');

    alice.fake.nextActionSheetTap = 0; // 置顶聊天
    await list.longPress('d:alice:bob');
    expect(view.data.items.map((i) => `${i.title}:${i.pinned}`)).toEqual(['鲍勃:true', '卡罗尔:false']);
    expect(alice.fake.actionSheets.at(-1)).toEqual(['置顶聊天', '删除该聊天']);

    alice.session.setDraft('d:alice:carol', '没写完');
    alice.fake.nextActionSheetTap = 1; // 删除该聊天 (confirmed)
    await list.longPress('d:alice:carol');
    expect(view.data.items.map((i) => i.title)).toEqual(['鲍勃']);
    expect(alice.session.draft('d:alice:carol')).toBe('');
    await say(carolToken, '又来了');
    await until(() => view.data.items.some((i) => i.title === '卡罗尔' && i.preview === '又来了'), 'back with a new message');
    list.unload();
  });

  it('"me" page: reminder templates from the server, logout back to the login page', async () => {
    const t = await startWechatServer({
      wechat: {
        subscribe: { enabled: true, windowMs: 600_000, templates: [{ templateId: TEMPLATE, fields: { thing1: 'sender', thing2: 'preview', time3: 'time' } }] },
      },
    });
    const fake = new AppFakeWx();
    fake.onLoginCode = (code) => t.fake.addCode(code, { openid: 'oME', session_key: 'c2Vzc2lvbmtleTEyMzQ1Ng==' });
    const session = new ImSession({ wx: fake.app, baseUrl: t.url, clientOptions: { backoff: { baseMs: 20, maxMs: 200 }, persistence: false } });
    await session.loginWechat();
    const view = captureView(initialMeData());
    const me = new MeLogic(view, session);
    await me.show();
    expect(view.data).toMatchObject({ id: session.user?.id, nickname: '微信用户', canSubscribe: true });
    fake.nextSubscribe = { [TEMPLATE]: 'accept' };
    expect(await me.subscribe()).toBe('accepted');
    expect(fake.subscribePrompts).toEqual([[TEMPLATE]]);

    fake.nextModalConfirm = true;
    expect(await me.logout()).toBe(true);
    expect(fake.navigations.at(-1)).toBe('/pages/login/login');
    expect(session.loggedIn).toBe(false);
    expect(fake.storage.has('miniim:auth')).toBe(false);
  });
});
