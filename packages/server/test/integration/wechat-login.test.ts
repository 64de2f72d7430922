/** POST /api/auth/wechat through a real server against the fake WeChat server. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret } from '../../src/wechat/secret-box.js';
import { startServer } from '../support/server.js';
import { ERRORS, encryptUserData, signRawData, userInfoPlain } from '../support/wechat-fixtures.js';
import { APP_ID, APP_ID_2, startWechatServer } from '../support/wechat-server.js';

describe('WeChat login over HTTP', () => {
  it('logs in, creates the user and identity, and the token works over HTTP and WS', async () => {
    const t = await startWechatServer();
    const r = await t.wxLogin('oOPENID_1');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token: expect.any(String), expiresAt: expect.any(Number) });
    expect(r.body.user).toEqual({
      id: expect.stringMatching(/^wx_[A-Za-z0-9_-]{24}$/),
      nickname: '微信用户',
      avatarUrl: '',
    });
    expect(JSON.stringify(r.body)).not.toContain(r.sessionKey);
    expect(JSON.stringify(r.body)).not.toContain('oOPENID_1');

    const me = await t.http('GET', '/api/me', { token: r.body.token });
    expect(me).toMatchObject({ status: 200, body: { id: r.body.user.id } });
    const c = await t.connect(r.body.token);
    expect(c.hello.user.id).toBe(r.body.user.id);

    // The identity is stored with the session_key encrypted at rest.
    const id = await t.server.storage.wechat.getIdentity(r.body.user.id);
    expect(id).toMatchObject({ appId: APP_ID, openid: 'oOPENID_1' });
    expect(id!.sessionKeyEnc).not.toContain(r.sessionKey);
    expect(decryptSecret(id!.sessionKeyEnc, t.server.wechat.wechat!.secretKey)).toBe(r.sessionKey);

    // Same openid → same user at every login; a PATCHed nickname survives the next login.
    await t.http('PATCH', '/api/me', { token: r.body.token, body: { nickname: '小明' } });
    const again = await t.wxLogin('oOPENID_1');
    expect(again.body.user).toMatchObject({ id: r.body.user.id, nickname: '小明' });
    expect(t.fake.calls('jscode2session')[0]!.query).toMatchObject({
      appid: APP_ID,
      grant_type: 'authorization_code',
    });
  });

  it('limits logins per WeChat user (per openid, after the code exchange) besides per address: 429 with retryAfterMs', async () => {
    const t = await startWechatServer();
    const statuses: number[] = [];
    let limited: any;
    for (let i = 0; i < 13; i++) {
      const r = await t.wxLogin('oBUSY');
      statuses.push(r.status);
      if (r.status === 429) limited = r.body;
    }
    // A burst of 10 per user (then 20 a minute); the address allows 30 at once.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(11)).toEqual([429, 429]);
    expect(limited.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/this user/), retryAfterMs: expect.any(Number) });
    // Another user from the same address still logs in.
    expect((await t.wxLogin('oCALM')).status).toBe(200);
  });

  it('maps WeChat errors: 40029/40163 → 401, 45011 → 429, 40226 → 403, -1 → 503 after one retry', async () => {
    const t = await startWechatServer();
    const bad = await t.http('POST', '/api/auth/wechat', { body: { code: 'never-issued' } });
    expect(bad).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });

    const ok = await t.wxLogin('oUSED');
    expect(ok.status).toBe(200);
    const usedCode = t.fake.calls('jscode2session').at(-1)!.query.js_code;
    const reused = await t.http('POST', '/api/auth/wechat', { body: { code: usedCode } });
    expect(reused).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized', message: expect.stringContaining('already used') } },
    });

    t.fake.enqueue('jscode2session', { json: ERRORS.freqLimit });
    const limited = await t.http('POST', '/api/auth/wechat', { body: { code: 'x1' } });
    expect(limited).toMatchObject({
      status: 429,
      body: { error: { code: 'rate_limited', retryAfterMs: 60000 } },
    });

    t.fake.enqueue('jscode2session', { json: ERRORS.highRiskUser });
    expect((await t.http('POST', '/api/auth/wechat', { body: { code: 'x2' } })).status).toBe(403);

    // -1 once: retried, then succeeds.
    const before = t.fake.calls('jscode2session').length;
    t.fake.enqueue('jscode2session', { json: ERRORS.systemBusy });
    const retried = await t.wxLogin('oBUSY');
    expect(retried.status).toBe(200);
    expect(t.fake.calls('jscode2session').length - before).toBe(2);

    // -1 twice: 503 after exactly one retry.
    const before2 = t.fake.calls('jscode2session').length;
    t.fake.enqueue('jscode2session', { json: ERRORS.systemBusy }, { json: ERRORS.systemBusy });
    const busy = await t.http('POST', '/api/auth/wechat', { body: { code: 'x3' } });
    expect(busy).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    expect(t.fake.calls('jscode2session').length - before2).toBe(2);

    // WeChat unreachable (non-200) → 503; bad input → 400.
    t.fake.enqueue('jscode2session', { status: 502, text: 'bad gateway' });
    expect((await t.http('POST', '/api/auth/wechat', { body: { code: 'x4' } })).status).toBe(503);
    expect(await t.http('POST', '/api/auth/wechat', { body: {} })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request' } },
    });
    expect((await t.http('POST', '/api/auth/wechat', { body: { code: 'x', appId: 'wxnotconfigured01' } })).status).toBe(400);
    expect((await t.http('POST', '/api/auth/wechat', { raw: 'not json' })).status).toBe(400);
  });

  it('verifies rawData signatures and decrypts encryptedData (pass, fail, watermark mismatch)', async () => {
    const t = await startWechatServer();
    const key = randomBytes(16).toString('base64');
    const rawData = JSON.stringify({ nickName: '阿强', avatarUrl: 'https://thirdwx.qlogo.cn/a/132' });
    const signed = await t.wxLogin('oSIG', {
      sessionKey: key,
      body: { rawData, signature: signRawData(rawData, key) },
    });
    expect(signed.status).toBe(200);
    expect(signed.body.user).toMatchObject({ nickname: '阿强', avatarUrl: 'https://thirdwx.qlogo.cn/a/132' });

    const forged = await t.wxLogin('oSIG2', {
      body: { rawData, signature: signRawData(rawData, 'another-key') },
    });
    expect(forged).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });

    const iv = randomBytes(16);
    const k2 = randomBytes(16).toString('base64');
    const enc = encryptUserData(userInfoPlain(APP_ID, 'oENC', { nickName: '密文用户' }), k2, iv);
    const dec = await t.wxLogin('oENC', {
      sessionKey: k2,
      body: { encryptedData: enc, iv: iv.toString('base64') },
    });
    expect(dec.status).toBe(200);
    expect(dec.body.user.nickname).toBe('密文用户');

    // Encrypted with another session key: cannot be decrypted.
    const k3 = randomBytes(16).toString('base64');
    const wrongKey = encryptUserData(userInfoPlain(APP_ID, 'oENC3'), randomBytes(16).toString('base64'), iv);
    const failed = await t.wxLogin('oENC3', {
      sessionKey: k3,
      body: { encryptedData: wrongKey, iv: iv.toString('base64') },
    });
    expect(failed).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });

    // Watermark of another mini-program.
    const k4 = randomBytes(16).toString('base64');
    const other = encryptUserData(userInfoPlain('wxsomeotherapp0001', 'oENC4'), k4, iv);
    const wm = await t.wxLogin('oENC4', {
      sessionKey: k4,
      body: { encryptedData: other, iv: iv.toString('base64') },
    });
    expect(wm).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized', message: expect.stringContaining('watermark') } },
    });

    // A malformed iv is bad input.
    const k5 = randomBytes(16).toString('base64');
    const badIv = await t.wxLogin('oENC5', { sessionKey: k5, body: { encryptedData: enc, iv: '!!' } });
    expect(badIv.status).toBe(400);
  });

  it('unionid mode: one user across two mini-programs', async () => {
    const t = await startWechatServer({ twoApps: true, useUnionId: true });
    const a = await t.wxLogin('oAPP1', { appId: APP_ID, unionid: 'UNION_42' });
    const b = await t.wxLogin('oAPP2', { appId: APP_ID_2, unionid: 'UNION_42' });
    expect(a.status).toBe(200);
    expect(b.body.user.id).toBe(a.body.user.id);
    expect(a.body.user.id).toMatch(/^wxu_/);
    expect(await t.server.storage.wechat.getIdentity(a.body.user.id, APP_ID)).toMatchObject({
      openid: 'oAPP1',
      unionid: 'UNION_42',
    });
    expect(await t.server.storage.wechat.getIdentity(a.body.user.id)).toMatchObject({
      appId: APP_ID_2,
      openid: 'oAPP2',
    });
    // Without unionid mode the same person is two users.
    const t2 = await startWechatServer({ twoApps: true });
    const c = await t2.wxLogin('oAPP1', { appId: APP_ID, unionid: 'UNION_42' });
    const d = await t2.wxLogin('oAPP2', { appId: APP_ID_2, unionid: 'UNION_42' });
    expect(c.body.user.id).not.toBe(d.body.user.id);
  });

  it('answers 404 when WeChat is not configured', async () => {
    const t = await startServer();
    const r = await t.http('POST', '/api/auth/wechat', { body: { code: 'x' } });
    expect(r).toMatchObject({
      status: 404,
      body: {
        error: { code: 'not_found', message: expect.stringContaining('WeChat login is not configured') },
      },
    });
    expect((await t.http('GET', '/api/wechat/push')).status).toBe(404);
  });
});
