import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModerationConfig } from '../../src/moderation/moderation-config.js';
import type { MediaTarget } from '../../src/storage/wechat-stores.js';
import { AccessTokenProvider } from '../../src/wechat/access-token-provider.js';
import { MediaCheck } from '../../src/wechat/media-check.js';
import type { MediaCheckEvent, MediaCheckFailure } from '../../src/wechat/push-event.js';
import { verifyPushSignature } from '../../src/wechat/push-signature.js';
import { MemoryTraceStore } from '../../src/wechat/trace-store.js';
import { WechatApi } from '../../src/wechat/wechat-api.js';
import type { WechatConfig } from '../../src/wechat/wechat-config.js';
import { FakeWechat } from '../support/fake-wechat.js';
import {
  encryptedPushJson,
  encryptedPushQuery,
  encryptedPushXml,
  encryptPushMessage,
  mediaCheckAsyncOk,
  mediaCheckAsyncRequest,
  mediaCheckPushError,
  mediaCheckPushErrorXml,
  mediaCheckPushJson,
  mediaCheckPushXml,
  pushQuery,
} from '../support/wechat-fixtures.js';

const APP = { appId: 'wxmedia00000000001', secret: 'media-secret', token: 'push-token-1' };
const APP2 = { appId: 'wxmedia00000000002', secret: 'media-secret-2', token: 'push-token-2' };
const CTX = { userId: 'u1', openid: 'oSENDER', appId: APP.appId, scene: 'message' as const };

let fake: FakeWechat;
let traces: MemoryTraceStore;
let risky: Array<{ traceId: string; target: MediaTarget; event: MediaCheckEvent | MediaCheckFailure }>;
let check: MediaCheck;

function build(modConfig: Partial<ModerationConfig['wechat']> = {}, onRiskyFails = false, apps: WechatConfig['apps'] = [APP, APP2]): MediaCheck {
  const wechatConfig: WechatConfig = { apps, apiBase: fake.baseUrl };
  const api = new WechatApi({ apiBase: fake.baseUrl, timeoutMs: 1000 });
  return new MediaCheck({
    config: {
      keywords: { enabled: false },
      wechat: { enabled: true, ...modConfig },
      webhook: { enabled: false },
    },
    wechatConfig,
    api,
    tokens: new AccessTokenProvider({ api, config: wechatConfig }),
    traces,
    registry: new Registry(),
    onRisky: async (traceId, target, event) => {
      if (onRiskyFails) throw new Error('storage down');
      risky.push({ traceId, target, event });
    },
  });
}

beforeEach(async () => {
  fake = await FakeWechat.start();
  fake.apps.set(APP.appId, APP.secret);
  traces = new MemoryTraceStore();
  risky = [];
  check = build();
});
afterEach(async () => {
  await fake.close();
});

async function submitImage(): Promise<string> {
  const traceId = await check.submit(
    { url: 'https://im.example.com/media/abc.jpg', type: 'image' },
    { conv: 'd:u1:u2', seq: 7, msgId: 'm7', userId: 'u1' },
    CTX,
  );
  expect(traceId).toBeDefined();
  return traceId!;
}

describe('MediaCheck.submit', () => {
  it('calls mediaCheckAsync v2 and remembers trace_id → message', async () => {
    const traceId = await submitImage();
    expect(fake.calls('media_check_async')[0].body).toEqual(mediaCheckAsyncRequest('https://im.example.com/media/abc.jpg', 'oSENDER', 2));
    expect(await traces.get(traceId)).toEqual({
      conv: 'd:u1:u2',
      seq: 7,
      msgId: 'm7',
      userId: 'u1',
      url: 'https://im.example.com/media/abc.jpg',
      mediaType: 'image',
      openid: 'oSENDER',
      appId: APP.appId,
    });
  });

  it('audio uses media_type 1; no openid or media off → no call', async () => {
    await check.submit({ url: 'https://x/a.mp3', type: 'audio' }, { conv: 'g:g1', seq: 1, userId: 'u1' }, CTX);
    expect(fake.calls('media_check_async')[0].body?.media_type).toBe(1);
    expect(
      await check.submit({ url: 'https://x/a.jpg', type: 'image' }, { conv: 'g:g1', seq: 2, userId: 'u1' }, { ...CTX, openid: undefined }),
    ).toBeUndefined();
    const off = build({ media: false });
    expect(await off.submit({ url: 'https://x/a.jpg', type: 'image' }, { conv: 'g:g1', seq: 3, userId: 'u1' }, CTX)).toBeUndefined();
    expect(fake.calls('media_check_async')).toHaveLength(1);
  });

  it('WeChat unreachable → undefined, no throw', async () => {
    fake.enqueue('media_check_async', { hangup: true });
    expect(await check.submit({ url: 'https://x/a.jpg', type: 'image' }, { conv: 'g:g1', seq: 1, userId: 'u1' }, CTX)).toBeUndefined();
  });
});

describe('MediaCheck.handlePush', () => {
  it('GET handshake echoes echostr only with a good signature', async () => {
    expect(await check.handlePush({ method: 'GET', query: pushQuery(APP.token, '1700000000', 'abc', 'echo-123') })).toEqual({
      status: 200,
      body: 'echo-123',
    });
    const forged = { ...pushQuery('wrong-token', '1700000000', 'abc'), echostr: 'echo-123' };
    expect((await check.handlePush({ method: 'GET', query: forged })).status).toBe(401);
  });

  it('risky verdict (JSON) with a good signature → onRisky with the stored message, mapping removed', async () => {
    const traceId = await submitImage();
    const reply = await check.handlePush({
      method: 'POST',
      query: pushQuery(APP.token),
      rawBody: JSON.stringify(mediaCheckPushJson(APP.appId, traceId, 'risky', 20002)),
    });
    expect(reply).toEqual({ status: 200, body: 'success' });
    expect(risky).toHaveLength(1);
    expect(risky[0].traceId).toBe(traceId);
    expect(risky[0].target).toMatchObject({ conv: 'd:u1:u2', seq: 7, msgId: 'm7' });
    expect((risky[0].event as MediaCheckEvent).label).toBe(20002);
    expect(await traces.get(traceId)).toBeUndefined();
  });

  it('risky verdict in the XML format, signed with the second app token', async () => {
    const traceId = await submitImage();
    const reply = await check.handlePush({
      method: 'POST',
      query: pushQuery(APP2.token, '1700000001', 'zz'),
      rawBody: mediaCheckPushXml(APP.appId, traceId, 'risky', 20001),
    });
    expect(reply.status).toBe(200);
    expect(risky.map((r) => r.traceId)).toEqual([traceId]);
  });

  it('forged signatures are refused and change nothing', async () => {
    const traceId = await submitImage();
    const body = JSON.stringify(mediaCheckPushJson(APP.appId, traceId, 'risky'));
    const good = pushQuery(APP.token);
    const cases = [
      pushQuery('not-the-token'),
      { ...good, timestamp: '1700000099' },
      { ...good, nonce: 'other' },
      { ...good, signature: undefined },
      { ...good, signature: 'zz' },
      {},
    ];
    for (const query of cases) {
      expect((await check.handlePush({ method: 'POST', query, rawBody: body })).status).toBe(401);
    }
    // A token of another app does not count when the route names the app.
    expect((await check.handlePush({ method: 'POST', query: pushQuery(APP2.token), rawBody: body }, APP.appId)).status).toBe(401);
    expect(risky).toHaveLength(0);
    expect(await traces.get(traceId)).toBeDefined();
  });

  it('pass verdict → no recall; review follows onReview', async () => {
    const t1 = await submitImage();
    await check.handlePush({
      method: 'POST',
      query: pushQuery(APP.token),
      rawBody: JSON.stringify(mediaCheckPushJson(APP.appId, t1, 'pass')),
    });
    const t2 = await submitImage();
    await check.handlePush({
      method: 'POST',
      query: pushQuery(APP.token),
      rawBody: JSON.stringify(mediaCheckPushJson(APP.appId, t2, 'review')),
    });
    expect(risky).toHaveLength(0);
    check = build({ onReview: 'reject' });
    const t3 = await submitImage();
    await check.handlePush({
      method: 'POST',
      query: pushQuery(APP.token),
      rawBody: JSON.stringify(mediaCheckPushJson(APP.appId, t3, 'review')),
    });
    expect(risky.map((r) => r.traceId)).toEqual([t3]);
  });

  it('unknown trace ids, other events and bad bodies never crash', async () => {
    const q = pushQuery(APP.token);
    expect(
      await check.handlePush({
        method: 'POST',
        query: q,
        rawBody: JSON.stringify(mediaCheckPushJson(APP.appId, 'nope', 'risky')),
      }),
    ).toEqual({ status: 200, body: 'success' });
    expect(
      (
        await check.handlePush({
          method: 'POST',
          query: q,
          rawBody: '{"MsgType":"event","Event":"user_enter_tempsession"}',
        })
      ).status,
    ).toBe(200);
    expect((await check.handlePush({ method: 'POST', query: q, rawBody: '{not json' })).status).toBe(400);
    expect((await check.handlePush({ method: 'POST', query: q, rawBody: '{"Event":"wxa_media_check"}' })).status).toBe(400);
    expect((await check.handlePush({ method: 'POST', query: q })).status).toBe(400);
    expect(risky).toHaveLength(0);
  });

  it('a failing onRisky answers 500 and keeps the mapping for WeChat to retry', async () => {
    check = build({}, true);
    const traceId = await submitImage();
    const reply = await check.handlePush({
      method: 'POST',
      query: pushQuery(APP.token),
      rawBody: JSON.stringify(mediaCheckPushJson(APP.appId, traceId, 'risky')),
    });
    expect(reply.status).toBe(500);
    expect(await traces.get(traceId)).toBeDefined();
  });
});

describe('MediaCheck.handlePush: pushes as WeChat really sends them', () => {
  const post = (rawBody: string, query: Record<string, string> = pushQuery(APP.token)) => check.handlePush({ method: 'POST', query, rawBody });

  it('labels written as strings are read as numbers (and a missing errcode with a result is a verdict)', async () => {
    const traceId = await submitImage();
    const push = mediaCheckPushJson(APP.appId, traceId, 'risky', 20002, true) as Record<string, unknown>;
    delete push.errcode;
    delete push.errmsg;
    expect(await post(JSON.stringify(push))).toEqual({ status: 200, body: 'success' });
    expect(risky).toHaveLength(1);
    expect((risky[0].event as MediaCheckEvent).label).toBe(20002);
  });

  it('-1008 (media not downloadable): asks once more, then fail-open leaves the message', async () => {
    const traceId = await submitImage();
    fake.enqueue('media_check_async', { json: mediaCheckAsyncOk('retry-trace-1') });
    expect(await post(JSON.stringify(mediaCheckPushError(APP.appId, traceId)))).toEqual({ status: 200, body: 'success' });
    const calls = fake.calls('media_check_async');
    expect(calls).toHaveLength(2);
    expect(calls[1].body).toEqual(calls[0].body);
    expect(await traces.get(traceId)).toBeUndefined();
    expect(await traces.get('retry-trace-1')).toMatchObject({ conv: 'd:u1:u2', seq: 7, attempt: 2 });
    // The retry fails too: fail-open, nothing removed, no third request.
    expect(await post(mediaCheckPushErrorXml(APP.appId, 'retry-trace-1'))).toEqual({ status: 200, body: 'success' });
    expect(fake.calls('media_check_async')).toHaveLength(2);
    expect(risky).toHaveLength(0);
    expect(await traces.get('retry-trace-1')).toBeUndefined();
  });

  it('fail-closed: a check that failed twice removes the media; a good retry verdict is used', async () => {
    check = build({ failPolicy: 'closed' });
    const t1 = await submitImage();
    fake.enqueue('media_check_async', { json: mediaCheckAsyncOk('retry-a') });
    await post(JSON.stringify(mediaCheckPushError(APP.appId, t1, 43104, 'this appid does not have permission')));
    expect(risky).toHaveLength(0);
    await post(JSON.stringify(mediaCheckPushError(APP.appId, 'retry-a')));
    expect(risky.map((r) => r.target.seq)).toEqual([7]);
    expect((risky[0].event as MediaCheckFailure).errcode).toBe(-1008);

    const t2 = await submitImage();
    fake.enqueue('media_check_async', { json: mediaCheckAsyncOk('retry-b') });
    await post(JSON.stringify(mediaCheckPushError(APP.appId, t2)));
    await post(JSON.stringify(mediaCheckPushJson(APP.appId, 'retry-b', 'pass', 100, true)));
    expect(risky).toHaveLength(1);
    // WeChat unreachable for the retry: the policy applies at once.
    const t3 = await submitImage();
    fake.enqueue('media_check_async', { hangup: true });
    await post(JSON.stringify(mediaCheckPushError(APP.appId, t3)));
    expect(risky).toHaveLength(2);
  });

  it('an errcode-0 push without a result is not trusted: it counts as a failed check', async () => {
    check = build({ failPolicy: 'closed' });
    const traceId = await submitImage();
    const push = mediaCheckPushJson(APP.appId, traceId, 'pass') as Record<string, unknown>;
    delete push.result;
    fake.enqueue('media_check_async', { hangup: true });
    expect(await post(JSON.stringify(push))).toEqual({ status: 200, body: 'success' });
    expect(risky).toHaveLength(1);
  });
});

describe('MediaCheck.handlePush: encrypted pushes (safe and compatible mode)', () => {
  const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
  const SAFE = { ...APP, encodingAESKey: KEY, pushMode: 'safe' as const };

  it('safe mode, JSON and XML: decrypted with the EncodingAESKey, msg_signature checked, verdict applied', async () => {
    check = build({}, false, [SAFE, APP2]);
    const t1 = await submitImage();
    const enc = encryptPushMessage(JSON.stringify(mediaCheckPushJson(APP.appId, t1, 'risky', 20002)), KEY, APP.appId);
    expect(await check.handlePush({ method: 'POST', query: encryptedPushQuery(APP.token, enc), rawBody: encryptedPushJson(enc) })).toEqual({
      status: 200,
      body: 'success',
    });
    expect(risky.map((r) => r.traceId)).toEqual([t1]);

    const t2 = await submitImage();
    const enc2 = encryptPushMessage(mediaCheckPushXml(APP.appId, t2, 'risky', 20001), KEY, APP.appId);
    expect((await check.handlePush({ method: 'POST', query: encryptedPushQuery(APP.token, enc2), rawBody: encryptedPushXml(enc2) })).status).toBe(200);
    expect(risky.map((r) => r.traceId)).toEqual([t1, t2]);
  });

  it('a bad msg_signature, a wrong key or another appid never passes as "success"', async () => {
    check = build({}, false, [SAFE]);
    const traceId = await submitImage();
    const enc = encryptPushMessage(JSON.stringify(mediaCheckPushJson(APP.appId, traceId, 'risky')), KEY, APP.appId);
    const q = encryptedPushQuery(APP.token, enc);
    expect((await check.handlePush({ method: 'POST', query: { ...q, msg_signature: 'a'.repeat(40) }, rawBody: encryptedPushJson(enc) })).status).toBe(401);
    const wrongKey = encryptPushMessage(JSON.stringify(mediaCheckPushJson(APP.appId, traceId, 'risky')), 'Z'.repeat(43), APP.appId);
    expect((await check.handlePush({ method: 'POST', query: encryptedPushQuery(APP.token, wrongKey), rawBody: encryptedPushJson(wrongKey) })).status).toBe(500);
    const otherApp = encryptPushMessage(JSON.stringify(mediaCheckPushJson(APP.appId, traceId, 'risky')), KEY, 'wxsomeoneelse00001');
    expect((await check.handlePush({ method: 'POST', query: encryptedPushQuery(APP.token, otherApp), rawBody: encryptedPushJson(otherApp) })).status).toBe(500);
    expect(risky).toHaveLength(0);
    expect(await traces.get(traceId)).toBeDefined();
  });

  it('no EncodingAESKey configured: a safe-mode push is answered 500 (WeChat retries), a compatible-mode push is read from its plain fields', async () => {
    const traceId = await submitImage();
    const plain = mediaCheckPushJson(APP.appId, traceId, 'risky');
    const enc = encryptPushMessage(JSON.stringify(plain), KEY, APP.appId);
    const q = encryptedPushQuery(APP.token, enc);
    expect(await check.handlePush({ method: 'POST', query: q, rawBody: encryptedPushJson(enc) })).toEqual({ status: 500, body: 'cannot decrypt' });
    expect(risky).toHaveLength(0);
    expect(await traces.get(traceId)).toBeDefined();
    expect((await check.handlePush({ method: 'POST', query: q, rawBody: encryptedPushJson(enc, plain) })).status).toBe(200);
    expect(risky.map((r) => r.traceId)).toEqual([traceId]);
  });
});

describe('verifyPushSignature', () => {
  it('matches the documented sha1(sort(token, timestamp, nonce))', () => {
    const q = pushQuery('tok', '1', '2');
    expect(verifyPushSignature('tok', q)).toBe(true);
    expect(verifyPushSignature('tok', { ...q, signature: q.signature.toUpperCase() })).toBe(true);
    expect(verifyPushSignature('tok2', q)).toBe(false);
  });
});
