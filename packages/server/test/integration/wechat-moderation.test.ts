/**
 * Content safety through the running server: keyword filter and msgSecCheck on
 * text sends (WS and HTTP), nicknames and group names; fail-open/closed;
 * access-token sharing and refresh against the fake WeChat server.
 */
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../support/wechat-fixtures.js';
import { startWechatServer, type WechatTestServer } from '../support/wechat-server.js';

let seq = 0;
const cid = () => `c${++seq}`;

async function wxUser(t: WechatTestServer, openid: string): Promise<{ id: string; token: string }> {
  const r = await t.wxLogin(openid);
  if (r.status !== 200) throw new Error(`login failed ${JSON.stringify(r.body)}`);
  return { id: r.body.user.id, token: r.body.token };
}

function send(t: WechatTestServer, token: string, to: string, text: string) {
  return t.http('POST', '/api/messages', {
    token,
    body: { to, clientMsgId: cid(), kind: 'text', body: { text } },
  });
}

describe('keyword filter through the server', () => {
  it('rejects hits with content_rejected 422 over WS and HTTP and lets near-misses through', async () => {
    const t = await startWechatServer({
      overrides: { moderation: { keywords: { enabled: true, words: ['赌博', 'badword'] } } },
    });
    const alice = await t.devLogin('alice');
    await t.devLogin('bob');
    const c = await t.connect(alice);

    for (const text of ['赌博', '一起 赌　博 吧', 'ＢＡＤＷＯＲＤ', 'b.a.d w o r d!']) {
      const ws = await c.request({
        op: 'send',
        to: 'u:bob',
        clientMsgId: cid(),
        kind: 'text',
        body: { text },
      });
      expect(ws, text).toMatchObject({ op: 'error', code: 'content_rejected' });
      const http = await send(t, alice, 'u:bob', text);
      expect(http, text).toMatchObject({ status: 422, body: { error: { code: 'content_rejected' } } });
    }
    for (const text of ['赌场', '博学', 'badwor', 'good word', 'bad-ish words']) {
      const ws = await c.request({
        op: 'send',
        to: 'u:bob',
        clientMsgId: cid(),
        kind: 'text',
        body: { text },
      });
      expect(ws, text).toMatchObject({ op: 'ack', msg: { body: { text } } });
    }
    // Nothing rejected was stored.
    const h = await t.http('GET', '/api/conversations/d:alice:bob/messages', { token: alice });
    expect(h.body.messages.map((m: any) => m.body.text)).toEqual(['赌场', '博学', 'badwor', 'good word', 'bad-ish words']);
    // Keywords need no WeChat call.
    expect(t.fake.calls('msg_sec_check')).toHaveLength(0);
  });

  it('checks nicknames (PATCH /api/me, WeChat profile) and group names (create, rename)', async () => {
    const t = await startWechatServer({
      overrides: { moderation: { keywords: { enabled: true, words: ['赌博'] } } },
    });
    const alice = await t.devLogin('alice', '爱丽丝');
    await t.devLogin('bob');
    expect(await t.http('PATCH', '/api/me', { token: alice, body: { nickname: '赌博大王' } })).toMatchObject({
      status: 422,
      body: { error: { code: 'content_rejected' } },
    });
    expect((await t.http('GET', '/api/me', { token: alice })).body.nickname).toBe('爱丽丝');
    expect((await t.http('PATCH', '/api/me', { token: alice, body: { nickname: '好人' } })).body.nickname).toBe('好人');

    expect(await t.http('POST', '/api/groups', { token: alice, body: { name: '赌博群', members: ['bob'] } })).toMatchObject({
      status: 422,
      body: { error: { code: 'content_rejected' } },
    });
    const g = await t.http('POST', '/api/groups', {
      token: alice,
      body: { name: '读书会', members: ['bob'] },
    });
    expect(g.status).toBe(200);
    expect((await t.http('PATCH', `/api/groups/${g.body.id}`, { token: alice, body: { name: '赌 博' } })).status).toBe(422);
    expect((await t.http('GET', `/api/groups/${g.body.id}`, { token: alice })).body.name).toBe('读书会');

    // A WeChat profile nickname that is refused: the login works, the nickname is not applied.
    const rawData = JSON.stringify({ nickName: '赌博' });
    const { createHash, randomBytes } = await import('node:crypto');
    const key = randomBytes(16).toString('base64');
    const signature = createHash('sha1')
      .update(rawData + key)
      .digest('hex');
    const r = await t.wxLogin('oNICK', { sessionKey: key, body: { rawData, signature } });
    expect(r.status).toBe(200);
    expect(r.body.user.nickname).toBe('微信用户');
  });
});

describe('msgSecCheck through the server', () => {
  it('risky → 422, pass and review (accept) → stored; scene 2 for messages, 1 for names', async () => {
    const t = await startWechatServer({ overrides: { moderation: { wechat: { enabled: true } } } });
    const a = await wxUser(t, 'oA');
    const b = await wxUser(t, 'oB');
    const c = await t.connect(a.token);
    const risky = await c.request({
      op: 'send',
      to: `u:${b.id}`,
      clientMsgId: cid(),
      kind: 'text',
      body: { text: 'hi risky-word' },
    });
    expect(risky).toMatchObject({ op: 'error', code: 'content_rejected' });
    expect((await send(t, a.token, `u:${b.id}`, 'risky-word again')).status).toBe(422);
    expect((await send(t, a.token, `u:${b.id}`, 'hello')).status).toBe(200);
    expect((await send(t, a.token, `u:${b.id}`, 'a review-word')).status).toBe(200);
    const call = t.fake.calls('msg_sec_check')[0]!;
    expect(call.body).toMatchObject({ version: 2, scene: 2, openid: 'oA', content: 'hi risky-word' });

    expect((await t.http('PATCH', '/api/me', { token: a.token, body: { nickname: 'risky-word' } })).status).toBe(422);
    expect(t.fake.calls('msg_sec_check').at(-1)!.body).toMatchObject({ scene: 1, openid: 'oA' });
    expect((await t.http('POST', '/api/groups', { token: a.token, body: { name: 'risky-word', members: [b.id] } })).status).toBe(422);

    // Users without a WeChat identity (dev login) skip the WeChat stage.
    const dev = await t.devLogin('webuser');
    const before = t.fake.calls('msg_sec_check').length;
    expect((await send(t, dev, `u:${b.id}`, 'risky-word from the web')).status).toBe(200);
    expect(t.fake.calls('msg_sec_check')).toHaveLength(before);
  });

  it('review is refused under onReview: reject', async () => {
    const t = await startWechatServer({
      overrides: { moderation: { wechat: { enabled: true, onReview: 'reject' } } },
    });
    const a = await wxUser(t, 'oA');
    const b = await wxUser(t, 'oB');
    expect((await send(t, a.token, `u:${b.id}`, 'a review-word')).status).toBe(422);
    expect((await send(t, a.token, `u:${b.id}`, 'fine')).status).toBe(200);
  });

  it('WeChat unreachable: fail-open stores the message, fail-closed answers 503 and stores nothing', async () => {
    for (const failPolicy of ['open', 'closed'] as const) {
      const t = await startWechatServer({
        overrides: { moderation: { wechat: { enabled: true, failPolicy } } },
      });
      const a = await wxUser(t, 'oA');
      const b = await wxUser(t, 'oB');
      const c = await t.connect(a.token);
      t.fake.enqueue('msg_sec_check', { status: 502, text: 'bad gateway' }, { hangup: true });
      const ws = await c.request({
        op: 'send',
        to: `u:${b.id}`,
        clientMsgId: cid(),
        kind: 'text',
        body: { text: 'one' },
      });
      const http = await send(t, a.token, `u:${b.id}`, 'two');
      const conv = [a.id, b.id].sort().join(':');
      const h = await t.http('GET', `/api/conversations/d:${conv}/messages`, { token: a.token });
      if (failPolicy === 'open') {
        expect(ws.op).toBe('ack');
        expect(http.status).toBe(200);
        expect(h.body.messages).toHaveLength(2);
      } else {
        expect(ws).toMatchObject({ op: 'error', code: 'unavailable' });
        expect(http).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
        expect(h.body.messages).toHaveLength(0);
      }
      const metrics = await t.http('GET', '/metrics');
      expect(metrics.body).toContain(`miniim_moderation_unavailable_total{stage="wechat",policy="${failPolicy}"} 2`);
    }
  });

  it('50 concurrent checks share one token fetch; 40001 refreshes and retries once', async () => {
    const t = await startWechatServer({
      overrides: { moderation: { wechat: { enabled: true } }, rateLimits: false },
    });
    const a = await wxUser(t, 'oA');
    const b = await wxUser(t, 'oB');
    t.fake.tokenDelayMs = 100;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => send(t, a.token, `u:${b.id}`, `m${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(t.fake.calls('stable_token')).toHaveLength(1);
    expect(t.fake.calls('msg_sec_check')).toHaveLength(50);

    t.fake.enqueue('msg_sec_check', { json: ERRORS.invalidCredential });
    expect((await send(t, a.token, `u:${b.id}`, 'risky-word after refresh')).status).toBe(422);
    expect(t.fake.calls('stable_token')).toHaveLength(2);
    expect(t.fake.calls('stable_token')[1]!.body).toMatchObject({
      grant_type: 'client_credential',
      force_refresh: false,
    });
  });
});
