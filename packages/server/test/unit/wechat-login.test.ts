import { randomBytes } from 'node:crypto';
import { ImError } from '@miniim/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, parseSecretKey } from '../../src/wechat/secret-box.js';
import { WechatApi } from '../../src/wechat/wechat-api.js';
import type { WechatConfig } from '../../src/wechat/wechat-config.js';
import { type WechatLoginDeps, wechatLogin } from '../../src/wechat/wechat-login.js';
import { FakeWechat } from '../support/fake-wechat.js';
import { ERRORS, encryptUserData, signRawData, userInfoPlain } from '../support/wechat-fixtures.js';

const APP_A = { appId: 'wxaaaaaaaaaaaaaaaa', secret: 'secret-a' };
const APP_B = { appId: 'wxbbbbbbbbbbbbbbbb', secret: 'secret-b' };
const SESSION_KEY = randomBytes(16).toString('base64');

let fake: FakeWechat;
let deps: WechatLoginDeps;

function makeDeps(apps: WechatConfig['apps'], baseUrl = fake.baseUrl): WechatLoginDeps {
  const config: WechatConfig = { apps, apiBase: baseUrl, timeoutMs: 2000 };
  return { config, api: new WechatApi({ apiBase: baseUrl, timeoutMs: 2000 }), secretKey: randomBytes(32) };
}

async function expectImError(p: Promise<unknown>, code: string, status?: number): Promise<ImError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImError);
  expect((err as ImError).code).toBe(code);
  if (status !== undefined) expect((err as ImError).status).toBe(status);
  return err as ImError;
}

beforeEach(async () => {
  fake = await FakeWechat.start();
  fake.apps.set(APP_A.appId, APP_A.secret);
  fake.apps.set(APP_B.appId, APP_B.secret);
  deps = makeDeps([APP_A, APP_B]);
});
afterEach(async () => {
  await fake.close();
});

describe('wechatLogin: code2Session', () => {
  it('logs in, sends the documented query, keeps session_key encrypted', async () => {
    fake.addCode('code-1', { openid: 'oOPENID_1', session_key: SESSION_KEY });
    const res = await wechatLogin(deps, { code: 'code-1' });
    expect(res.appId).toBe(APP_A.appId);
    expect(res.openid).toBe('oOPENID_1');
    expect(res.userId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(res.userId).not.toContain('oOPENID_1');
    expect(JSON.stringify(res)).not.toContain(SESSION_KEY);
    expect(decryptSecret(res.sessionKeyEnc, deps.secretKey)).toBe(SESSION_KEY);
    expect(fake.calls('jscode2session')[0].query).toEqual({
      appid: APP_A.appId,
      secret: APP_A.secret,
      js_code: 'code-1',
      grant_type: 'authorization_code',
    });
  });

  it('gives the same user id on every login and a different one per openid', async () => {
    fake.addCode('c1', { openid: 'oSAME', session_key: SESSION_KEY });
    fake.addCode('c2', { openid: 'oSAME', session_key: randomBytes(16).toString('base64') });
    fake.addCode('c3', { openid: 'oOTHER', session_key: SESSION_KEY });
    const a = await wechatLogin(deps, { code: 'c1' });
    const b = await wechatLogin(deps, { code: 'c2' });
    const c = await wechatLogin(deps, { code: 'c3' });
    expect(a.userId).toBe(b.userId);
    expect(c.userId).not.toBe(a.userId);
  });

  it('uses the named appId and refuses an unknown one', async () => {
    fake.addCode('cb', { openid: 'oB', session_key: SESSION_KEY });
    const res = await wechatLogin(deps, { code: 'cb', appId: APP_B.appId });
    expect(res.appId).toBe(APP_B.appId);
    expect(fake.calls('jscode2session')[0].query.secret).toBe(APP_B.secret);
    await expectImError(wechatLogin(deps, { code: 'cb', appId: 'wxunknown' }), 'bad_request', 400);
  });

  it('unionid mode: same user across two appids; openid mode: different', async () => {
    const union = { appId: APP_A.appId, secret: APP_A.secret, useUnionId: true };
    const unionB = { appId: APP_B.appId, secret: APP_B.secret, useUnionId: true };
    const d = makeDeps([union, unionB]);
    fake.addCode('u1', { openid: 'oA_in_app_a', session_key: SESSION_KEY, unionid: 'oUNION_1' });
    fake.addCode('u2', { openid: 'oB_in_app_b', session_key: SESSION_KEY, unionid: 'oUNION_1' });
    const a = await wechatLogin(d, { code: 'u1', appId: APP_A.appId });
    const b = await wechatLogin(d, { code: 'u2', appId: APP_B.appId });
    expect(a.unionid).toBe('oUNION_1');
    expect(a.userId).toBe(b.userId);

    fake.addCode('o1', { openid: 'oA_in_app_a', session_key: SESSION_KEY, unionid: 'oUNION_1' });
    fake.addCode('o2', { openid: 'oB_in_app_b', session_key: SESSION_KEY, unionid: 'oUNION_1' });
    const c = await wechatLogin(deps, { code: 'o1', appId: APP_A.appId });
    const e = await wechatLogin(deps, { code: 'o2', appId: APP_B.appId });
    expect(c.unionid).toBe('oUNION_1');
    expect(c.userId).not.toBe(e.userId);
    expect(c.userId).not.toBe(a.userId);
  });

  it('40029 invalid code → 401 unauthorized', async () => {
    await expectImError(wechatLogin(deps, { code: 'never-issued' }), 'unauthorized', 401);
  });

  it('40163 reused code → 401 unauthorized', async () => {
    fake.addCode('once', { openid: 'o1', session_key: SESSION_KEY });
    await wechatLogin(deps, { code: 'once' });
    await expectImError(wechatLogin(deps, { code: 'once' }), 'unauthorized', 401);
    expect(fake.calls('jscode2session')).toHaveLength(2);
  });

  it('45011 rate limit → 429 with retryAfterMs', async () => {
    fake.enqueue('jscode2session', { json: ERRORS.freqLimit });
    const err = await expectImError(wechatLogin(deps, { code: 'x' }), 'rate_limited', 429);
    expect(err.retryAfterMs).toBeGreaterThan(0);
  });

  it('40226 blocked user → 403 forbidden', async () => {
    fake.enqueue('jscode2session', { json: ERRORS.highRiskUser });
    await expectImError(wechatLogin(deps, { code: 'x' }), 'forbidden', 403);
  });

  it('-1 busy is retried once and then succeeds', async () => {
    fake.addCode('busy', { openid: 'o1', session_key: SESSION_KEY });
    fake.enqueue('jscode2session', { json: ERRORS.systemBusy });
    const res = await wechatLogin(deps, { code: 'busy' });
    expect(res.openid).toBe('o1');
    expect(fake.calls('jscode2session')).toHaveLength(2);
  });

  it('-1 busy twice → 503 unavailable, exactly two calls', async () => {
    fake.enqueue('jscode2session', { json: ERRORS.systemBusy }, { json: ERRORS.systemBusy });
    await expectImError(wechatLogin(deps, { code: 'x' }), 'unavailable', 503);
    expect(fake.calls('jscode2session')).toHaveLength(2);
  });

  it('wrong secret (40125) → 500 internal without leaking the errmsg', async () => {
    const d = makeDeps([{ appId: APP_A.appId, secret: 'wrong' }]);
    const err = await expectImError(wechatLogin(d, { code: 'x' }), 'internal', 500);
    expect(err.message).not.toContain('appsecret');
  });

  it('WeChat unreachable, HTTP 502 or a dropped connection → 503 unavailable', async () => {
    const closed = await FakeWechat.start();
    const url = closed.baseUrl;
    await closed.close();
    await expectImError(wechatLogin(makeDeps([APP_A], url), { code: 'x' }), 'unavailable', 503);
    fake.enqueue('jscode2session', { status: 502, text: '<html>bad gateway</html>' });
    await expectImError(wechatLogin(deps, { code: 'x' }), 'unavailable', 503);
    fake.enqueue('jscode2session', { hangup: true });
    await expectImError(wechatLogin(deps, { code: 'x' }), 'unavailable', 503);
  });

  it('times out instead of hanging', async () => {
    const d = makeDeps([APP_A]);
    d.api = new WechatApi({ apiBase: fake.baseUrl, timeoutMs: 100 });
    fake.enqueue('jscode2session', { json: ERRORS.invalidCode, delayMs: 1000 });
    await expectImError(wechatLogin(d, { code: 'x' }), 'unavailable', 503);
  });

  it.each([
    [{}, 'code'],
    [{ code: 42 }, 'code'],
    [{ code: '' }, 'code'],
    [{ code: 'c', rawData: '{}' }, 'signature'],
    [{ code: 'c', signature: 'ab' }, 'rawData'],
    [{ code: 'c', encryptedData: 'AAAA' }, 'iv'],
    [{ code: 'c', appId: 5 }, 'appId'],
    [{ code: 'x'.repeat(300) }, 'code'],
  ])('bad body %j → bad_request naming %s, no WeChat call', async (body, field) => {
    const err = await expectImError(wechatLogin(deps, body), 'bad_request', 400);
    expect(err.message).toContain(field);
    expect(fake.calls('jscode2session')).toHaveLength(0);
  });
});

describe('wechatLogin: profile data', () => {
  const rawData = JSON.stringify({
    nickName: '小明',
    avatarUrl: 'https://thirdwx.qlogo.cn/a/132',
    gender: 1,
  });

  it('accepts rawData with a good signature', async () => {
    fake.addCode('p1', { openid: 'o1', session_key: SESSION_KEY });
    const res = await wechatLogin(deps, {
      code: 'p1',
      rawData,
      signature: signRawData(rawData, SESSION_KEY),
    });
    expect(res.profile).toEqual({ nickname: '小明', avatarUrl: 'https://thirdwx.qlogo.cn/a/132' });
  });

  it('refuses rawData whose signature does not match', async () => {
    fake.addCode('p2', { openid: 'o1', session_key: SESSION_KEY });
    const forged = signRawData(rawData.replace('小明', '管理员'), SESSION_KEY);
    await expectImError(wechatLogin(deps, { code: 'p2', rawData, signature: forged }), 'unauthorized', 401);
    fake.addCode('p3', { openid: 'o1', session_key: SESSION_KEY });
    await expectImError(wechatLogin(deps, { code: 'p3', rawData, signature: 'not-hex' }), 'unauthorized', 401);
  });

  it('decrypts encryptedData and checks the watermark', async () => {
    fake.addCode('e1', { openid: 'o1', session_key: SESSION_KEY });
    const iv = randomBytes(16);
    const encryptedData = encryptUserData(userInfoPlain(APP_A.appId, 'o1', { unionId: 'oU9' }), SESSION_KEY, iv);
    const res = await wechatLogin(deps, { code: 'e1', encryptedData, iv: iv.toString('base64') });
    expect(res.profile?.nickname).toBe('微信用户');
    expect(res.unionid).toBe('oU9');
  });

  it('refuses encryptedData made with another session key', async () => {
    fake.addCode('e2', { openid: 'o1', session_key: SESSION_KEY });
    const iv = randomBytes(16);
    const other = randomBytes(16).toString('base64');
    const encryptedData = encryptUserData(userInfoPlain(APP_A.appId, 'o1'), other, iv);
    await expectImError(wechatLogin(deps, { code: 'e2', encryptedData, iv: iv.toString('base64') }), 'unauthorized', 401);
  });

  it('refuses encryptedData whose watermark names another appid', async () => {
    fake.addCode('e3', { openid: 'o1', session_key: SESSION_KEY });
    const iv = randomBytes(16);
    const encryptedData = encryptUserData(userInfoPlain(APP_B.appId, 'o1'), SESSION_KEY, iv);
    const err = await expectImError(wechatLogin(deps, { code: 'e3', encryptedData, iv: iv.toString('base64') }), 'unauthorized', 401);
    expect(err.message).toContain('watermark');
  });

  it('refuses malformed encryptedData / iv with bad_request', async () => {
    fake.addCode('e4', { openid: 'o1', session_key: SESSION_KEY });
    await expectImError(wechatLogin(deps, { code: 'e4', encryptedData: '%%%%', iv: randomBytes(16).toString('base64') }), 'bad_request');
    fake.addCode('e5', { openid: 'o1', session_key: SESSION_KEY });
    await expectImError(wechatLogin(deps, { code: 'e5', encryptedData: 'AAAA', iv: 'AAAA' }), 'bad_request');
  });
});

describe('secret-box', () => {
  it('round-trips and detects tampering or a wrong key', () => {
    const key = randomBytes(32);
    const blob = encryptSecret(SESSION_KEY, key);
    expect(blob).not.toContain(SESSION_KEY);
    expect(decryptSecret(blob, key)).toBe(SESSION_KEY);
    expect(encryptSecret(SESSION_KEY, key)).not.toBe(blob);
    const parts = blob.split('.');
    parts[3] = Buffer.from('tampered!').toString('base64url');
    expect(() => decryptSecret(parts.join('.'), key)).toThrow();
    expect(() => decryptSecret(blob, randomBytes(32))).toThrow();
  });

  it('parses 32-byte keys from base64 or hex and refuses others', () => {
    const raw = randomBytes(32);
    expect(parseSecretKey(raw.toString('base64')).equals(raw)).toBe(true);
    expect(parseSecretKey(raw.toString('hex')).equals(raw)).toBe(true);
    expect(() => parseSecretKey('short')).toThrow(/32 bytes/);
  });
});
