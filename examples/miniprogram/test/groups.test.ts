/** Group pages' logic against a real server: create from the contact picker, chat, manage, leave; login page. */
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { AGREE_BUTTON_ID } from '../lib/privacy.js';
import { ImSession } from '../lib/session.js';
import { ChatLogic, initialChatData } from '../pages/chat/chat-logic.js';
import { GroupLogic, initialGroupData } from '../pages/group/group-logic.js';
import { GroupCreateLogic, initialGroupCreateData } from '../pages/group-create/group-create-logic.js';
import { initialListData, ListLogic } from '../pages/index/list-logic.js';
import { initialLoginData, LoginLogic } from '../pages/login/login-logic.js';
import { AppFakeWx } from './support/app-fake-wx.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';

describe('groups', () => {
  it('create from contacts, names in bubbles, @ mark on the list, rename, mute, add, remove, leave', async () => {
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    const bob = await loggedIn(s, 'bob', '鲍勃');
    await s.login('carol', '卡罗尔');
    await s.login('dave', '大卫');
    // A direct chat makes Bob a contact.
    await bob.session.need().sendText('u:alice', '嗨');
    await until(() => alice.session.need().conversations().length === 1, 'contact known');

    const pickView = captureView(initialGroupCreateData());
    const picker = new GroupCreateLogic(pickView, alice.session);
    picker.load();
    expect(pickView.data.contacts.map((c) => c.id)).toEqual(['bob']);
    picker.toggle('bob');
    expect(await picker.addById('carol')).toBe(true);
    expect(pickView.data.contacts.find((c) => c.id === 'carol')).toMatchObject({ name: '卡罗尔', checked: true });
    expect(pickView.data.selectedCount).toBe(2);
    picker.setName('周末爬山');
    const gid = await picker.create();
    expect(gid).toBeTruthy();
    expect(alice.fake.navigations.at(-1)).toBe(`/pages/chat/chat?conv=${encodeURIComponent(`g:${gid}`)}`);

    const listView = captureView(initialListData());
    const list = new ListLogic(listView, alice.session);
    list.load();
    const chatView = captureView(initialChatData());
    const chat = new ChatLogic(chatView, alice.session);
    await until(() => alice.session.need().conversation(`g:${gid}`) !== undefined, 'group conversation');
    await chat.open({ conv: `g:${gid}` });
    await until(() => chatView.data.title === '周末爬山', 'group title');
    chat.hide(); // reading elsewhere: Bob's mention stays unread
    await bob.session.need().sendText(`g:${gid}`, '@爱丽丝 周六去吗', { mentions: ['alice'] });
    await until(() => chatView.data.items.some((i) => i.name === '鲍勃'), 'sender name on the bubble');
    const bubble = chatView.data.items.find((i) => i.name === '鲍勃');
    expect(bubble).toMatchObject({ mine: false, read: false });
    await until(
      () => listView.data.items[0]?.conv === `g:${gid}` && listView.data.items[0].unread === 1 && listView.data.items[0].title === '周末爬山',
      'group row unread',
    );
    expect(listView.data.items[0]).toMatchObject({ title: '周末爬山', mentioned: true, preview: '鲍勃: @爱丽丝 周六去吗' });

    const groupView = captureView(initialGroupData());
    const settings = new GroupLogic(groupView, alice.session);
    await settings.load({ id: gid });
    expect(groupView.data).toMatchObject({ name: '周末爬山', memberCount: 3, isAdmin: true, muted: false });
    expect(groupView.data.members.map((m) => `${m.name}:${m.roleText}:${m.removable}`)).toEqual(['爱丽丝:群主:false', '鲍勃::true', '卡罗尔::true']);
    expect(await settings.rename('周日爬山')).toBe(true);
    expect(groupView.data.name).toBe('周日爬山');
    expect(await settings.setMuted(true)).toBe(true);
    expect(groupView.data.muted).toBe(true);
    expect(await settings.addMembers('dave')).toBe(true);
    expect(groupView.data.members.map((m) => m.userId)).toContain('dave');
    expect(await settings.removeMember('carol')).toBe(true);
    expect(groupView.data.members.map((m) => m.userId)).not.toContain('carol');
    expect(groupView.data.memberCount).toBe(3);

    // Bob is a plain member: no remove buttons; he leaves.
    const bobView = captureView(initialGroupData());
    const bobSettings = new GroupLogic(bobView, bob.session);
    await bobSettings.load({ id: gid });
    expect(bobView.data.isAdmin).toBe(false);
    expect(bobView.data.members.every((m) => !m.removable)).toBe(true);
    expect(await bobSettings.leave()).toBe(true);
    expect(bob.fake.navigations.at(-1)).toBe('/pages/index/index');
    expect(await bobSettings.rename('不该成功')).toBe(false);
    expect(bob.fake.toasts.at(-1)).toBe('你已不在该会话中或已被禁言');
    chat.close();
    list.unload();
  });

  it('login page: dev login when the server has it, profile step saves the nickname', async () => {
    const s = await startServer();
    const fake = new AppFakeWx();
    const session = new ImSession({ wx: fake.app, baseUrl: s.baseUrl, clientOptions: { persistence: false } });
    const view = captureView(initialLoginData());
    const login = new LoginLogic(view, session);
    await login.load();
    expect(view.data.devAvailable).toBe(true);
    expect(await login.devLogin('bad id', '')).toBe(false);
    expect(await login.devLogin('erin', '艾琳')).toBe(true);
    expect(fake.navigations.at(-1)).toBe('/pages/index/index');
    await session.need().waitConnected();
    // Avatar and nickname are privacy components: the agreement comes first.
    const profile = login.load({ profile: '1' });
    await until(() => view.data.privacy.shown, 'privacy popup before the profile step');
    expect(view.data.step).toBe('login');
    fake.tapAgreeButton(AGREE_BUTTON_ID);
    login.agreePrivacy();
    await profile;
    expect(view.data).toMatchObject({ step: 'profile', nickname: '艾琳', privacy: { shown: false } });
    login.setNickname('艾琳娜');
    expect(await login.saveProfile()).toBe(true);
    const me = await s.http('GET', '/api/users/erin', { token: await s.login('zed') });
    expect(me.body.nickname).toBe('艾琳娜');
    session.client?.dispose();

    const off = await startServer({ devLogin: false });
    const other = new ImSession({ wx: new AppFakeWx().app, baseUrl: off.baseUrl });
    const offView = captureView(initialLoginData());
    await new LoginLogic(offView, other).load();
    expect(offView.data.devAvailable).toBe(false);
  });
});
