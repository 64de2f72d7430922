/**
 * A whole server run at log level trace through every WeChat flow; the captured
 * log must not contain any session_key, access_token or app secret value.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ERRORS, encryptUserData, mediaCheckAsyncOk, mediaCheckPushJson, pushQuery, signRawData, userInfoPlain } from '../support/wechat-fixtures.js';
import { APP_ID, PUSH_TOKEN, startWechatServer, TEMPLATE } from '../support/wechat-server.js';

describe('server logs and WeChat secrets', () => {
  it('no session_key, access_token or secret value appears in a full run’s log', async () => {
    const t = await startWechatServer({
      overrides: {
        mediaAllowHosts: ['cdn.example.com'],
        moderation: {
          keywords: { enabled: true, words: ['赌博'] },
          wechat: { enabled: true, failPolicy: 'open' },
        },
      },
      wechat: {
        subscribe: { enabled: true, templates: [{ templateId: TEMPLATE, fields: { thing1: 'preview' } }] },
      },
    });
    t.fake.templates.set(TEMPLATE, ['thing1']);

    // Logins: plain, with a signed profile, with encrypted data, and failing ones.
    const a = await t.wxLogin('oLOGA');
    const kb = randomBytes(16).toString('base64');
    const rawData = JSON.stringify({ nickName: '日志' });
    const b = await t.wxLogin('oLOGB', {
      sessionKey: kb,
      body: { rawData, signature: signRawData(rawData, kb) },
    });
    const kc = randomBytes(16).toString('base64');
    const iv = randomBytes(16);
    const c = await t.wxLogin('oLOGC', {
      sessionKey: kc,
      body: {
        encryptedData: encryptUserData(userInfoPlain(APP_ID, 'oLOGC'), kc, iv),
        iv: iv.toString('base64'),
      },
    });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    await t.wxLogin('oLOGD', { body: { rawData, signature: signRawData(rawData, 'x') } });
    t.fake.enqueue('jscode2session', { json: ERRORS.systemBusy }, { json: ERRORS.systemBusy });
    await t.wxLogin('oLOGE');
    t.fake.enqueue('jscode2session', { json: ERRORS.invalidAppsecret });
    await t.wxLogin('oLOGF');

    // Messages through the moderation pipeline, a token refresh, WeChat down (fail-open).
    const send = (text: string, i: number) =>
      t.http('POST', '/api/messages', {
        token: a.body.token,
        body: { to: `u:${b.body.user.id}`, clientMsgId: `l${i}`, kind: 'text', body: { text } },
      });
    await send('hello', 1);
    await send('risky-word', 2);
    await send('赌博', 3);
    t.fake.forceRefreshElsewhere(APP_ID);
    await send('after 40001', 4);
    t.fake.expireAllTokens();
    await send('after 42001', 5);
    t.fake.enqueue('msg_sec_check', { status: 500, text: 'oops' });
    await send('wechat down', 6);

    // Subscribe credits and an offline notification.
    await t.http('POST', '/api/wechat/subscribe', {
      token: b.body.token,
      body: { results: { [TEMPLATE]: 'accept' } },
    });
    t.fake.grantSubscription('oLOGB', TEMPLATE, 1);
    await send('notify me', 7);

    // Media check and a risky push.
    t.fake.enqueue('media_check_async', { json: mediaCheckAsyncOk('trace-log-1') });
    await t.http('POST', '/api/messages', {
      token: a.body.token,
      body: {
        to: `u:${b.body.user.id}`,
        clientMsgId: 'img',
        kind: 'image',
        body: { url: 'https://cdn.example.com/x.png' },
      },
    });
    await t.server.wechat.flush();
    await t.http('POST', `/api/wechat/push?${new URLSearchParams(pushQuery(PUSH_TOKEN))}`, {
      raw: JSON.stringify(mediaCheckPushJson(APP_ID, 'trace-log-1', 'risky')),
    });
    await t.server.close();

    expect(t.fake.delivered).toHaveLength(1);
    expect(t.fake.calls('stable_token').length).toBeGreaterThanOrEqual(3);
    const log = t.logs.join('');
    // The log is real and covers the flows.
    for (const line of ['WeChat login', 'WeChat access token fetched', 'content rejected', 'risky media recalled', 'code2Session failed']) {
      expect(log, line).toContain(line);
    }
    const secrets = [...t.sessionKeys, ...t.fake.issuedTokens, ...t.secrets];
    expect(secrets.length).toBeGreaterThan(10);
    for (const s of secrets) expect(log.includes(s), `log contains ${s.slice(0, 6)}…`).toBe(false);
    // Encrypted session keys stay out of the log too.
    expect(log).not.toMatch(/v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\./);
  });
});
