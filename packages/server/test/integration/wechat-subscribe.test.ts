/** Subscribe-message credits over HTTP and offline notifications when messages are committed. */
import { describe, expect, it } from 'vitest';
import { until } from '../support/server.js';
import { requestSubscribeResult } from '../support/wechat-fixtures.js';
import { startWechatServer, TEMPLATE, type WechatTestServer } from '../support/wechat-server.js';

const OTHER_TEMPLATE = 'TPL_NOT_CONFIGURED_bbbbbbbbbbbbbbbbbbbb';

async function setup() {
  const t = await startWechatServer({
    wechat: {
      subscribe: {
        enabled: true,
        windowMs: 600_000,
        templates: [{ templateId: TEMPLATE, fields: { thing1: 'sender', thing2: 'preview', time3: 'time' } }],
      },
    },
  });
  t.fake.templates.set(TEMPLATE, ['thing1', 'thing2', 'time3']);
  return t;
}

async function wxUser(t: WechatTestServer, openid: string) {
  const r = await t.wxLogin(openid);
  expect(r.status).toBe(200);
  return { id: r.body.user.id as string, token: r.body.token as string };
}

let n = 0;
async function sendText(t: WechatTestServer, token: string, to: string, text: string) {
  const r = await t.http('POST', '/api/messages', {
    token,
    body: { to, clientMsgId: `s${++n}`, kind: 'text', body: { text } },
  });
  expect(r.status).toBe(200);
  await t.server.wechat.flush();
  return r.body.msg;
}

describe('subscribe messages', () => {
  it('records accepted templates as credits and reads them back', async () => {
    const t = await setup();
    const bob = await wxUser(t, 'oBOB');
    expect((await t.http('GET', '/api/wechat/subscribe', { token: bob.token })).body).toEqual({
      templateIds: [TEMPLATE],
      credits: {},
    });
    const results = requestSubscribeResult({ [TEMPLATE]: 'accept', [OTHER_TEMPLATE]: 'accept' });
    const r1 = await t.http('POST', '/api/wechat/subscribe', { token: bob.token, body: { results } });
    expect(r1).toMatchObject({ status: 200, body: { templateIds: [TEMPLATE], credits: { [TEMPLATE]: 1 } } });
    await t.http('POST', '/api/wechat/subscribe', { token: bob.token, body: { results } });
    await t.http('POST', '/api/wechat/subscribe', {
      token: bob.token,
      body: { results: { [TEMPLATE]: 'reject' } },
    });
    expect((await t.http('GET', '/api/wechat/subscribe', { token: bob.token })).body.credits).toEqual({
      [TEMPLATE]: 2,
    });

    expect((await t.http('POST', '/api/wechat/subscribe', { token: bob.token, body: { results: 'accept' } })).status).toBe(400);
    expect(
      (
        await t.http('POST', '/api/wechat/subscribe', {
          token: bob.token,
          body: { results: { [TEMPLATE]: 1 } },
        })
      ).status,
    ).toBe(400);
    expect((await t.http('POST', '/api/wechat/subscribe', { body: { results } })).status).toBe(401);
    const web = await t.devLogin('webuser');
    expect((await t.http('POST', '/api/wechat/subscribe', { token: web, body: { results } })).status).toBe(403);
    expect((await t.http('GET', '/api/wechat/subscribe', { token: web })).body).toEqual({
      templateIds: [],
      credits: {},
    });
  });

  it('notifies an offline recipient once per conversation window and spends one credit', async () => {
    const t = await setup();
    const bob = await wxUser(t, 'oBOB');
    const alice = await t.devLogin('alice', '爱丽丝');
    const carol = await t.devLogin('carol', '卡罗尔');
    const accept = { results: { [TEMPLATE]: 'accept' } };
    for (let i = 0; i < 3; i++) await t.http('POST', '/api/wechat/subscribe', { token: bob.token, body: accept });
    t.fake.grantSubscription('oBOB', TEMPLATE, 3);

    const m1 = await sendText(t, alice, `u:${bob.id}`, '晚上一起吃饭吗？我们在老地方见面，不见不散哦');
    expect(t.fake.delivered).toHaveLength(1);
    const sent = t.fake.delivered[0]! as any;
    expect(sent).toMatchObject({
      touser: 'oBOB',
      template_id: TEMPLATE,
      miniprogram_state: 'formal',
      lang: 'zh_CN',
    });
    expect(sent.page).toContain(encodeURIComponent(m1.conv));
    expect(sent.data.thing1.value).toBe('爱丽丝');
    expect(Array.from(sent.data.thing2.value as string)).toHaveLength(20);
    expect(sent.data.time3.value).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/);
    expect((await t.http('GET', '/api/wechat/subscribe', { token: bob.token })).body.credits).toEqual({
      [TEMPLATE]: 2,
    });

    // Same conversation within the window: no second notification, no credit spent.
    await sendText(t, alice, `u:${bob.id}`, '在吗');
    expect(t.fake.delivered).toHaveLength(1);
    expect((await t.http('GET', '/api/wechat/subscribe', { token: bob.token })).body.credits).toEqual({
      [TEMPLATE]: 2,
    });

    // Another conversation gets its own notification.
    await sendText(t, carol, `u:${bob.id}`, '你好');
    expect(t.fake.delivered).toHaveLength(2);
    expect((t.fake.delivered[1] as any).data.thing1.value).toBe('卡罗尔');
    expect((await t.http('GET', '/api/wechat/subscribe', { token: bob.token })).body.credits).toEqual({
      [TEMPLATE]: 1,
    });

    // The sender is never notified of their own message (bob → alice: alice has no WeChat identity anyway).
    await sendText(t, bob.token, 'u:alice', '好的');
    expect(t.fake.delivered).toHaveLength(2);
  });

  it('does not notify an online recipient; a refused subscription (43101) drops the credits', async () => {
    const t = await setup();
    const bob = await wxUser(t, 'oBOB');
    const dave = await wxUser(t, 'oDAVE');
    const alice = await t.devLogin('alice');
    await t.http('POST', '/api/wechat/subscribe', {
      token: bob.token,
      body: { results: { [TEMPLATE]: 'accept' } },
    });
    await t.http('POST', '/api/wechat/subscribe', {
      token: dave.token,
      body: { results: { [TEMPLATE]: 'accept' } },
    });
    t.fake.grantSubscription('oBOB', TEMPLATE, 1);

    const online = await t.connect(bob.token);
    await sendText(t, alice, `u:${bob.id}`, 'you are online');
    await online.waitFor((f) => f.op === 'msg');
    expect(t.fake.delivered).toHaveLength(0);
    expect((await t.http('GET', '/api/wechat/subscribe', { token: bob.token })).body.credits).toEqual({
      [TEMPLATE]: 1,
    });

    // dave accepted in the app but WeChat has no quota for him: 43101 → credits dropped.
    await sendText(t, alice, `u:${dave.id}`, 'hello dave');
    expect(t.fake.calls('subscribe_send')).toHaveLength(1);
    expect(t.fake.delivered).toHaveLength(0);
    expect((await t.http('GET', '/api/wechat/subscribe', { token: dave.token })).body.credits).toEqual({});

    // Offline group members are notified too.
    online.close();
    await until(async () => (await t.server.bus.isOnline([bob.id])).get(bob.id) === false, 5000, 'bob offline');
    const g = await t.http('POST', '/api/groups', {
      token: alice,
      body: { name: '周末', members: [bob.id] },
    });
    await sendText(t, alice, `g:${g.body.id}`, '周末爬山');
    expect(t.fake.delivered).toHaveLength(1);
    expect(t.fake.delivered[0]).toMatchObject({ touser: 'oBOB' });
  });

  it('sends nothing when subscribe messages are off', async () => {
    const t = await startWechatServer();
    const bob = await wxUser(t, 'oBOB');
    const alice = await t.devLogin('alice');
    await sendText(t, alice, `u:${bob.id}`, 'hi');
    expect(t.fake.calls('subscribe_send')).toHaveLength(0);
    expect((await t.http('GET', '/api/wechat/subscribe', { token: bob.token })).body).toEqual({
      templateIds: [],
      credits: {},
    });
  });
});
