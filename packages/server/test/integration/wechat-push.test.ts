/**
 * mediaCheckAsync after an image/audio message is committed, and the message-push
 * route (GET echostr handshake, POST verdicts) recalling risky media with a notice.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../support/server.js';
import {
  encryptedPushJson,
  encryptedPushQuery,
  encryptPushMessage,
  mediaCheckAsyncOk,
  mediaCheckPushError,
  mediaCheckPushJson,
  mediaCheckPushXml,
  pushQuery,
} from '../support/wechat-fixtures.js';
import { APP_ID, PUSH_TOKEN, startWechatServer, type WechatTestServer } from '../support/wechat-server.js';

const qs = (q: Record<string, string>) => `?${new URLSearchParams(q)}`;

const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

async function setup(onReview?: 'accept' | 'reject', opts: { app?: Record<string, unknown>; failPolicy?: 'open' | 'closed' } = {}) {
  const t = await startWechatServer({
    app: opts.app,
    overrides: {
      mediaAllowHosts: ['cdn.example.com'],
      moderation: { wechat: { enabled: true, ...(onReview ? { onReview } : {}), ...(opts.failPolicy ? { failPolicy: opts.failPolicy } : {}) } },
    },
  });
  const a = await t.wxLogin('oSENDER');
  const b = await t.wxLogin('oPEER');
  return {
    t,
    a: { id: a.body.user.id, token: a.body.token },
    b: { id: b.body.user.id, token: b.body.token },
  };
}

async function sendImage(t: WechatTestServer, token: string, to: string, n: number) {
  const traceId = `trace-img-${n}`;
  t.fake.enqueue('media_check_async', { json: mediaCheckAsyncOk(traceId) });
  const r = await t.http('POST', '/api/messages', {
    token,
    body: {
      to,
      clientMsgId: `img${n}`,
      kind: n % 2 ? 'image' : 'audio',
      body: { url: `https://cdn.example.com/m/${n}.bin` },
    },
  });
  expect(r.status).toBe(200);
  await t.server.wechat.flush();
  const call = t.fake.calls('media_check_async').at(-1)!;
  expect(call.body).toMatchObject({
    media_url: `https://cdn.example.com/m/${n}.bin`,
    media_type: n % 2 ? 2 : 1,
    version: 2,
    openid: 'oSENDER',
  });
  return { msg: r.body.msg, traceId };
}

function push(t: WechatTestServer, body: string, query: Record<string, string>, contentType = 'application/json') {
  return t.http('POST', `/api/wechat/push${qs(query)}`, {
    raw: body,
    headers: { 'content-type': contentType },
  });
}

describe('message push and media checks', () => {
  it('answers the echostr handshake only with a good signature', async () => {
    const { t } = await setup();
    const ok = await t.http('GET', `/api/wechat/push${qs(pushQuery(PUSH_TOKEN, '1700000000', 'abc', 'echo-123'))}`);
    expect(ok).toMatchObject({ status: 200, body: 'echo-123' });
    const perApp = await t.http('GET', `/api/wechat/push/${APP_ID}${qs(pushQuery(PUSH_TOKEN, '1', 'n', 'e2'))}`);
    expect(perApp).toMatchObject({ status: 200, body: 'e2' });
    const forged = await t.http('GET', `/api/wechat/push${qs(pushQuery('wrongToken', '1700000000', 'abc', 'echo-123'))}`);
    expect(forged.status).toBe(401);
    expect(forged.body).not.toBe('echo-123');
    expect((await t.http('GET', '/api/wechat/push')).status).toBe(401);
  });

  it('recalls a risky image with a system notice; a forged push changes nothing', async () => {
    const { t, a, b } = await setup();
    const peer = await t.connect(b.token);
    const { msg, traceId } = await sendImage(t, a.token, `u:${b.id}`, 1);

    // Forged signature: 401, message intact.
    const forged = await push(t, JSON.stringify(mediaCheckPushJson(APP_ID, traceId, 'risky', 20002)), pushQuery('nottheToken'));
    expect(forged.status).toBe(401);
    expect((await t.server.storage.getMessage(msg.conv, msg.seq))?.recalled).toBeUndefined();

    // Good signature, risky verdict: recalled + `recalled` event + content_removed notice.
    const ok = await push(t, JSON.stringify(mediaCheckPushJson(APP_ID, traceId, 'risky', 20002)), pushQuery(PUSH_TOKEN));
    expect(ok).toMatchObject({ status: 200, body: 'success' });
    const recalled = await peer.waitFor((f) => f.op === 'recalled' && f.seq === msg.seq);
    expect(recalled).toMatchObject({ conv: msg.conv, seq: msg.seq, by: 'system' });
    const notice = await peer.waitFor((f) => f.op === 'msg' && f.msg.kind === 'system');
    expect(notice.msg).toMatchObject({
      conv: msg.conv,
      seq: msg.seq + 1,
      body: { event: 'content_removed', seq: msg.seq },
    });
    const h = await t.http('GET', `/api/conversations/${msg.conv}/messages`, { token: a.token });
    expect(h.body.messages[0]).toMatchObject({ seq: msg.seq, body: {}, recalled: { by: 'system' } });

    // A repeated push for the same trace is answered and changes nothing more.
    const again = await push(t, JSON.stringify(mediaCheckPushJson(APP_ID, traceId, 'risky')), pushQuery(PUSH_TOKEN));
    expect(again).toMatchObject({ status: 200, body: 'success' });
    expect((await t.http('GET', `/api/conversations/${msg.conv}/messages`, { token: a.token })).body.messages).toHaveLength(2);
  });

  it('pass leaves the message; XML bodies work; review follows onReview; junk is 400', async () => {
    const { t, a, b } = await setup('reject');
    const one = await sendImage(t, a.token, `u:${b.id}`, 1);
    expect(await push(t, JSON.stringify(mediaCheckPushJson(APP_ID, one.traceId, 'pass')), pushQuery(PUSH_TOKEN))).toMatchObject({
      status: 200,
      body: 'success',
    });
    expect((await t.server.storage.getMessage(one.msg.conv, one.msg.seq))?.recalled).toBeUndefined();

    const two = await sendImage(t, a.token, `u:${b.id}`, 2);
    const xml = await push(t, mediaCheckPushXml(APP_ID, two.traceId, 'review', 21000), pushQuery(PUSH_TOKEN), 'text/xml');
    expect(xml).toMatchObject({ status: 200, body: 'success' });
    await until(async () => (await t.server.storage.getMessage(two.msg.conv, two.msg.seq))?.recalled, 5000, 'recall');

    expect((await push(t, 'not a push', pushQuery(PUSH_TOKEN), 'text/plain')).status).toBe(400);
    // Other events and unknown traces are acknowledged.
    expect(await push(t, JSON.stringify({ Event: 'user_enter_tempsession' }), pushQuery(PUSH_TOKEN))).toMatchObject({ body: 'success' });
    expect(await push(t, JSON.stringify(mediaCheckPushJson(APP_ID, 'unknown-trace', 'risky')), pushQuery(PUSH_TOKEN))).toMatchObject({ body: 'success' });
  });

  it('recalls in a group too, and skips media checks for users without WeChat', async () => {
    const { t, a, b } = await setup();
    const g = await t.http('POST', '/api/groups', {
      token: a.token,
      body: { name: '相册', members: [b.id] },
    });
    const { msg, traceId } = await sendImage(t, a.token, `g:${g.body.id}`, 3);
    const peer = await t.connect(b.token);
    await push(t, JSON.stringify(mediaCheckPushJson(APP_ID, traceId, 'risky')), pushQuery(PUSH_TOKEN));
    await peer.waitFor((f) => f.op === 'recalled' && f.conv === msg.conv && f.seq === msg.seq);
    await peer.waitFor((f) => f.op === 'msg' && f.msg.body.event === 'content_removed');

    const web = await t.devLogin('webby');
    const before = t.fake.calls('media_check_async').length;
    const r = await t.http('POST', '/api/messages', {
      token: web,
      body: {
        to: `u:${b.id}`,
        clientMsgId: 'w1',
        kind: 'image',
        body: { url: 'https://cdn.example.com/w.png' },
      },
    });
    expect(r.status).toBe(200);
    await t.server.wechat.flush();
    expect(t.fake.calls('media_check_async')).toHaveLength(before);
  });

  it('safe mode: an encrypted risky verdict is decrypted and applied; a bad msg_signature is refused', async () => {
    const { t, a, b } = await setup(undefined, { app: { encodingAESKey: AES_KEY, pushMode: 'safe' } });
    const peer = await t.connect(b.token);
    const { msg, traceId } = await sendImage(t, a.token, `u:${b.id}`, 5);
    const enc = encryptPushMessage(JSON.stringify(mediaCheckPushJson(APP_ID, traceId, 'risky', '20002' as unknown as number)), AES_KEY, APP_ID);
    const q = encryptedPushQuery(PUSH_TOKEN, enc);
    expect((await push(t, encryptedPushJson(enc), { ...q, msg_signature: 'f'.repeat(40) })).status).toBe(401);
    expect((await t.server.storage.getMessage(msg.conv, msg.seq))?.recalled).toBeUndefined();
    expect(await push(t, encryptedPushJson(enc), q)).toMatchObject({ status: 200, body: 'success' });
    await peer.waitFor((f) => f.op === 'recalled' && f.seq === msg.seq);
  });

  it('without an EncodingAESKey an encrypted verdict is not acknowledged (500, WeChat retries) and logged', async () => {
    const { t, a, b } = await setup();
    const { msg, traceId } = await sendImage(t, a.token, `u:${b.id}`, 7);
    const enc = encryptPushMessage(JSON.stringify(mediaCheckPushJson(APP_ID, traceId, 'risky')), AES_KEY, APP_ID);
    expect((await push(t, encryptedPushJson(enc), encryptedPushQuery(PUSH_TOKEN, enc))).status).toBe(500);
    expect((await t.server.storage.getMessage(msg.conv, msg.seq))?.recalled).toBeUndefined();
    expect(t.logs.join('')).toContain('no EncodingAESKey configured');
  });

  it('-1008 asks WeChat once more; fail-closed removes media WeChat could not check twice', async () => {
    const { t, a, b } = await setup(undefined, { failPolicy: 'closed' });
    const peer = await t.connect(b.token);
    const { msg, traceId } = await sendImage(t, a.token, `u:${b.id}`, 9);
    t.fake.enqueue('media_check_async', { json: mediaCheckAsyncOk('trace-retry-9') });
    expect(await push(t, JSON.stringify(mediaCheckPushError(APP_ID, traceId)), pushQuery(PUSH_TOKEN))).toMatchObject({ status: 200, body: 'success' });
    expect(t.fake.calls('media_check_async')).toHaveLength(2);
    expect(t.fake.calls('media_check_async')[1].body).toMatchObject({ media_url: 'https://cdn.example.com/m/9.bin', media_type: 2, openid: 'oSENDER' });
    expect((await t.server.storage.getMessage(msg.conv, msg.seq))?.recalled).toBeUndefined();
    await push(t, JSON.stringify(mediaCheckPushError(APP_ID, 'trace-retry-9')), pushQuery(PUSH_TOKEN));
    await peer.waitFor((f) => f.op === 'recalled' && f.seq === msg.seq);
  });
});
