/**
 * The pages as a person sees them: login, conversation list, a chat with every message kind, a
 * group chat, group settings and the member list, rendered with miniprogram-simulate in headless
 * Chromium (support/page-render.ts) from the data the page logic produced against a real server,
 * in light and dark, saved under test-output/miniprogram/ (750 px wide = a 375-pt phone at 2×).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { ChatLogic, initialChatData } from '../pages/chat/chat-logic.js';
import { GroupLogic, initialGroupData } from '../pages/group/group-logic.js';
import { initialListData, ListLogic } from '../pages/index/list-logic.js';
import { initialLoginData, LoginLogic } from '../pages/login/login-logic.js';
import { initialMeData, MeLogic } from '../pages/me/me-logic.js';
import { initialMembersData, MembersLogic } from '../pages/members/members-logic.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';
import { BASE_CSS, nativeStandIns, pageFiles } from './support/page-render.js';
import { picturePng, sampleMp3, sampleMp4, tempFile } from './support/samples.js';
import { appRoot, openSimulate, type SimulatePage } from './support/simulate-browser.js';

const OUT = path.resolve(appRoot, '../../test-output/miniprogram');
const PAGES = ['pages/login/login', 'pages/index/index', 'pages/chat/chat', 'pages/group/group', 'pages/members/members', 'pages/me/me'];

let sim: SimulatePage | undefined;
afterAll(async () => {
  await sim?.close();
});

/** Mounts a page with its data and saves a light and a dark screenshot; returns the visible text. */
async function shoot(page: string, data: Record<string, unknown>, name: string): Promise<string> {
  if (!sim) throw new Error('no browser');
  const p = sim.page;
  const text = await p.evaluate(
    ({ page: pg, d }) => {
      const w = window as unknown as {
        simulate: { load(p: string, t: string, o: unknown): string; render(id: string, props: unknown): { attach(el: Element): void } };
      };
      document.body.innerHTML = '';
      const id = w.simulate.load(`/${pg}`, 'page', { compiler: 'simulate', rootPath: '/' });
      const comp = w.simulate.render(id, { d });
      const host = document.createElement('div');
      document.body.appendChild(host);
      comp.attach(host);
      return document.body.textContent ?? '';
    },
    { page, d: data },
  );
  for (const scheme of ['light', 'dark'] as const) {
    await p.emulateMedia({ colorScheme: scheme });
    await p.waitForTimeout(150); // images from the server
    await p.screenshot({ path: path.join(OUT, `${name}-${scheme}.png`), fullPage: true });
  }
  return text;
}

describe('screenshots', () => {
  it('renders every page in light and dark', { timeout: 90_000 }, async () => {
    await mkdir(OUT, { recursive: true });
    const s = await startServer();
    const alice = await loggedIn(s, 'alice', '爱丽丝', { wx: { uploadStepMs: 60_000 } });
    const bob = await loggedIn(s, 'bob', '鲍勃');
    await s.login('carol', '卡罗尔');
    alice.fake.privacyAgreed = true;
    const b = bob.session.need();
    const upload = async (name: string, data: Buffer, kind: string) => (await bob.session.upload(await tempFile(name, data), kind)).url;

    // A direct chat with every message kind.
    await b.sendText('u:alice', '周末一起去海边吗？这是上次拍的照片');
    await b.send('u:alice', 'image', { url: await upload('sea.png', picturePng(480, 320), 'image'), width: 480, height: 320 });
    const a = alice.session.need();
    const mine = await a.sendText('u:bob', '好呀，几点出发？');
    await b.send('u:alice', 'video', {
      url: await upload('v.mp4', sampleMp4(42_000), 'video'),
      cover: await upload('cover.png', picturePng(320, 180), 'image'),
      duration: 42_000,
    });
    await b.send('u:alice', 'audio', { url: await upload('v.mp3', sampleMp3(), 'audio'), duration: 7_000 });
    await b.send('u:alice', 'file', { url: await upload('plan.pdf', Buffer.from('%PDF-1.4\n%%EOF\n'), 'file'), name: '海边一日游行程.pdf', size: 1_572_864 });
    const oops = await b.sendText('u:alice', '发错了');
    await b.recall(oops.conv, oops.seq);
    await a.sendText('u:bob', '收到，我看看行程');
    await b.markRead('d:alice:bob');
    const chatView = captureView(initialChatData());
    const chat = new ChatLogic(chatView, alice.session);
    await chat.open({ conv: 'd:alice:bob' });
    // An upload in progress (the fake holds it at its first tick), with its cancel.
    alice.fake.nextMedia = [{ tempFilePath: await tempFile('up.png', picturePng(300, 300)), size: 9000, fileType: 'image', width: 300, height: 300 }];
    void chat.pick('album');
    await until(() => chatView.data.items.some((i) => i.progress >= 20), 'upload in progress');
    await until(() => chatView.data.items.some((i) => i.read && i.msg.id !== mine.id), 'read mark on the latest');
    await new Promise((r) => setTimeout(r, 100));

    // A group with names, system notices and an @.
    const group = await a.createGroup('周末海边小分队', ['bob', 'carol']);
    await until(() => !!b.conversation(`g:${group.id}`), 'bob in the group');
    await b.sendText(`g:${group.id}`, '@爱丽丝 车我来开', { mentions: ['alice'] });
    await a.updateGroup(group.id, { name: '海边小分队' });
    const groupChatView = captureView(initialChatData());
    const groupChat = new ChatLogic(groupChatView, alice.session);
    await groupChat.open({ conv: `g:${group.id}` });
    await until(() => groupChatView.data.items.length >= 3 && groupChatView.data.title === '海边小分队', 'group chat');
    await new Promise((r) => setTimeout(r, 100));

    const listView = captureView(initialListData());
    const list = new ListLogic(listView, alice.session);
    list.load();
    alice.session.setDraft(`g:${group.id}`, '我带零食');
    list.show();
    await until(() => listView.data.items.length === 2 && listView.data.items.every((i) => i.title !== 'bob'), 'list');

    const groupView = captureView(initialGroupData());
    await new GroupLogic(groupView, alice.session).load({ id: group.id });
    const membersView = captureView(initialMembersData());
    await new MembersLogic(membersView, alice.session).load({ id: group.id });
    const meView = captureView(initialMeData());
    await new MeLogic(meView, alice.session).show();
    const loginView = captureView(initialLoginData());
    await new LoginLogic(loginView, alice.session).load({ ended: 'expired' });

    const files: Record<string, string> = {};
    for (const p of PAGES) Object.assign(files, await pageFiles(p));
    sim = await openSimulate({ files, wxml: nativeStandIns, css: BASE_CSS, viewport: { width: 750, height: 1334 } });

    const shots: Array<[string, Record<string, unknown>, string, RegExp[]]> = [
      ['pages/login/login', { ...loginView.data }, 'login', [/微信登录/, /登录已过期/]],
      ['pages/index/index', { ...listView.data, newChatId: '' }, 'list', [/海边小分队/, /\[草稿\]/, /鲍勃/]],
      [
        'pages/chat/chat',
        { ...chatView.data, me: 'alice' },
        'chat',
        [/海边一日游行程\.pdf/, /PDF · 1\.5 MB/, /鲍勃撤回了一条消息/, /已读/, /取消/, /0:42/, /7″/],
      ],
      ['pages/chat/chat', { ...groupChatView.data, me: 'alice' }, 'group-chat', [/车我来开/, /鲍勃/]],
      ['pages/group/group', { ...groupView.data, addIds: '' }, 'group', [/群主/, /卡罗尔/, /消息免打扰/]],
      ['pages/members/members', { ...membersView.data }, 'members', [/爱丽丝/, /鲍勃/, /卡罗尔/]],
      ['pages/me/me', { ...meView.data }, 'me', [/退出登录/, /ID：alice/]],
    ];
    for (const [page, data, name, expected] of shots) {
      const text = await shoot(page, data, name);
      for (const re of expected) expect(text, `${name} shows ${re}`).toMatch(re);
    }
    expect((await sim.page.evaluate(() => document.body.textContent ?? '')).length).toBeGreaterThan(0);
    chat.close();
    groupChat.close();
    list.unload();
  });
});
