import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessTokenProvider, TOKEN_REFRESH_MARGIN_MS } from '../../src/wechat/access-token-provider.js';
import { MemoryTokenCache } from '../../src/wechat/token-cache.js';
import { WechatApi } from '../../src/wechat/wechat-api.js';
import type { WechatConfig } from '../../src/wechat/wechat-config.js';
import { WechatApiError, WechatUnreachableError } from '../../src/wechat/wechat-errors.js';
import { FakeWechat } from '../support/fake-wechat.js';
import { ERRORS, msgSecCheckRequest, stableTokenRequest } from '../support/wechat-fixtures.js';

const APP = { appId: 'wxtoken00000000001', secret: 's3cret' };
const APP2 = { appId: 'wxtoken00000000002', secret: 's3cret2' };

let fake: FakeWechat;
let api: WechatApi;
let clock: number;

function provider(config: Partial<WechatConfig> = {}, cache = new MemoryTokenCache()) {
  return new AccessTokenProvider({
    api,
    config: { apps: [APP, APP2], apiBase: fake.baseUrl, ...config },
    cache,
    now: () => clock,
  });
}

beforeEach(async () => {
  fake = await FakeWechat.start();
  fake.apps.set(APP.appId, APP.secret);
  fake.apps.set(APP2.appId, APP2.secret);
  api = new WechatApi({ apiBase: fake.baseUrl, timeoutMs: 2000 });
  clock = 1_700_000_000_000;
  fake.now = () => clock;
});
afterEach(async () => {
  await fake.close();
});

describe('AccessTokenProvider', () => {
  it('50 concurrent callers cause one stable_token fetch and all get the same token', async () => {
    fake.tokenDelayMs = 50;
    const p = provider();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => p.getToken(APP.appId)));
    expect(fake.calls('stable_token')).toHaveLength(1);
    expect(new Set(tokens).size).toBe(1);
    expect(fake.calls('stable_token')[0].body).toEqual(stableTokenRequest(APP.appId, APP.secret));
    expect(fake.calls('token')).toHaveLength(0);
  });

  it('50 concurrent API calls share one token fetch', async () => {
    fake.tokenDelayMs = 20;
    const p = provider();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => p.call(APP.appId, (t) => api.msgSecCheck(t, msgSecCheckRequest(`hello ${i}`, 'oUSER')))),
    );
    expect(results.every((r) => r.result.suggest === 'pass')).toBe(true);
    expect(fake.calls('stable_token')).toHaveLength(1);
    expect(fake.calls('msg_sec_check')).toHaveLength(50);
  });

  it('caches per app until 5 minutes before expiry', async () => {
    const p = provider();
    const t1 = await p.getToken(APP.appId);
    const other = await p.getToken(APP2.appId);
    expect(other).not.toBe(t1);
    expect(fake.calls('stable_token')).toHaveLength(2);
    clock += 7200_000 - TOKEN_REFRESH_MARGIN_MS - 1000;
    expect(await p.getToken(APP.appId)).toBe(t1);
    expect(fake.calls('stable_token')).toHaveLength(2);
    clock += 2000;
    const t2 = await p.getToken(APP.appId);
    expect(t2).not.toBe(t1);
    expect(fake.calls('stable_token')).toHaveLength(3);
  });

  it('a short remaining lifetime is used for half of it, not refetched on every call', async () => {
    fake.tokenExpiresIn = 120;
    const p = provider();
    const t1 = await p.getToken(APP.appId);
    clock += 59_000;
    expect(await p.getToken(APP.appId)).toBe(t1);
    clock += 2000;
    expect(await p.getToken(APP.appId)).not.toBe(t1);
  });

  it('the fake answers bad msgSecCheck requests with the codes its page lists (40003, 40129, 44002, 47001)', async () => {
    const token = await provider().getToken(APP.appId);
    const raw = async (body: string | undefined) => {
      const res = await fetch(`${fake.baseUrl}/wxa/msg_sec_check?access_token=${token}`, { method: 'POST', body });
      return ((await res.json()) as { errcode: number }).errcode;
    };
    expect(await raw(undefined)).toBe(44002);
    expect(await raw('{not json')).toBe(47001);
    expect(await raw(JSON.stringify({ ...msgSecCheckRequest('hi', 'oU'), openid: undefined }))).toBe(40003);
    expect(await raw(JSON.stringify({ ...msgSecCheckRequest('hi', 'oU'), scene: 9 }))).toBe(40129);
    expect(await raw(JSON.stringify(msgSecCheckRequest('x'.repeat(2501), 'oU')))).toBe(47001);
    const ok = await api.msgSecCheck(token, msgSecCheckRequest('hi', 'oU'));
    expect(ok.detail?.find((d) => d.strategy === 'keyword')).toEqual({ strategy: 'keyword', errcode: 0 });
  });

  it('classic mode uses GET /cgi-bin/token', async () => {
    const p = provider({ tokenMode: 'classic' });
    await p.getToken(APP.appId);
    expect(fake.calls('stable_token')).toHaveLength(0);
    expect(fake.calls('token')[0].query).toEqual({
      grant_type: 'client_credential',
      appid: APP.appId,
      secret: APP.secret,
    });
  });

  it('on 40001 (token revoked by a force_refresh elsewhere) refreshes in normal mode and retries the call once', async () => {
    const p = provider();
    await p.getToken(APP.appId);
    fake.forceRefreshElsewhere(APP.appId);
    const res = await p.call(APP.appId, (t) => api.msgSecCheck(t, msgSecCheckRequest('hi', 'oU')));
    expect(res.result.suggest).toBe('pass');
    expect(fake.calls('stable_token')).toHaveLength(2);
    expect(fake.calls('stable_token')[1].body?.force_refresh).toBe(false);
    const [first, second] = fake.calls('msg_sec_check');
    expect(first.query.access_token).not.toBe(second.query.access_token);
  });

  it('the fake follows the stable_token page: same token in normal mode, a new one only with force_refresh', async () => {
    const first = await api.getStableAccessToken(APP.appId, APP.secret);
    clock += 3600_000;
    const again = await api.getStableAccessToken(APP.appId, APP.secret);
    expect(again.access_token).toBe(first.access_token);
    expect(again.expires_in).toBe(3600);
    const forced = await api.getStableAccessToken(APP.appId, APP.secret, true);
    expect(forced.access_token).not.toBe(first.access_token);
    const err = await api.msgSecCheck(first.access_token, msgSecCheckRequest('x', 'oU')).catch((e) => e);
    expect((err as WechatApiError).errcode).toBe(40001);
    // Within the last 5 minutes, normal mode hands out the next token; the old one still works.
    clock += 7200_000 - 299_000;
    const next = await api.getStableAccessToken(APP.appId, APP.secret);
    expect(next.access_token).not.toBe(forced.access_token);
    expect((await api.msgSecCheck(forced.access_token, msgSecCheckRequest('x', 'oU'))).result.suggest).toBe('pass');
  });

  it('on 42001 (expired) refreshes and retries', async () => {
    const p = provider();
    await p.getToken(APP.appId);
    fake.expireAllTokens();
    const res = await p.call(APP.appId, (t) => api.msgSecCheck(t, msgSecCheckRequest('hi', 'oU')));
    expect(res.result.suggest).toBe('pass');
    expect(fake.calls('msg_sec_check')).toHaveLength(2);
  });

  it('a token rejected twice is not retried forever', async () => {
    const p = provider();
    fake.enqueue('msg_sec_check', { json: ERRORS.invalidCredential }, { json: ERRORS.invalidCredential });
    const err = await p.call(APP.appId, (t) => api.msgSecCheck(t, msgSecCheckRequest('hi', 'oU'))).catch((e) => e);
    expect(err).toBeInstanceOf(WechatApiError);
    expect((err as WechatApiError).errcode).toBe(40001);
    expect(fake.calls('msg_sec_check')).toHaveLength(2);
  });

  it('concurrent 40001s share one refresh', async () => {
    fake.tokenDelayMs = 20;
    const p = provider();
    await p.getToken(APP.appId);
    fake.expireAllTokens();
    await Promise.all(Array.from({ length: 20 }, () => p.call(APP.appId, (t) => api.msgSecCheck(t, msgSecCheckRequest('x', 'o')))));
    expect(fake.calls('stable_token')).toHaveLength(2);
  });

  it('a failed fetch is not cached: the next caller tries again', async () => {
    const p = provider();
    fake.enqueue('stable_token', { hangup: true });
    await expect(p.getToken(APP.appId)).rejects.toBeInstanceOf(WechatUnreachableError);
    expect(await p.getToken(APP.appId)).toMatch(/^ACCESS_TOKEN_/);
  });

  it('a wrong secret surfaces as WechatApiError 40125', async () => {
    const p = new AccessTokenProvider({
      api,
      config: { apps: [{ appId: APP.appId, secret: 'nope' }] },
      now: () => clock,
    });
    const err = await p.getToken().catch((e) => e);
    expect((err as WechatApiError).errcode).toBe(40125);
  });

  it('shares tokens through the TokenCache (e.g. between nodes)', async () => {
    const shared = new MemoryTokenCache();
    const a = provider({}, shared);
    const b = provider({}, shared);
    expect(await b.getToken(APP.appId)).toBe(await a.getToken(APP.appId));
    expect(fake.calls('stable_token')).toHaveLength(1);
  });
});
