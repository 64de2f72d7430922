/**
 * The WeChat access token across nodes: providers of two nodes on one Redis fetch it once
 * (a lock, SET NX PX with a token, released by compare-and-delete) and the other node reads
 * it from the shared cache — counted at the fake WeChat server. With Redis unreachable a
 * node still gets a token on its own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisSharedState } from '../../src/cluster/redis-shared-state.js';
import { createLogger } from '../../src/logger.js';
import { AccessTokenProvider, TOKEN_REFRESH_MARGIN_MS } from '../../src/wechat/access-token-provider.js';
import { SharedTokenCache } from '../../src/wechat/token-cache.js';
import { WechatApi } from '../../src/wechat/wechat-api.js';
import { FakeWechat } from '../support/fake-wechat.js';
import { freshRedisPrefix, REDIS_URL, redisAvailable } from '../support/redis.js';
import { onCleanup } from '../support/server.js';
import { msgSecCheckRequest } from '../support/wechat-fixtures.js';

const available = await redisAvailable();
const APP = { appId: 'wxcluster000000001', secret: 's3cret' };

let fake: FakeWechat;
let clock: number;

beforeEach(async () => {
  fake = await FakeWechat.start();
  fake.apps.set(APP.appId, APP.secret);
  clock = 1_700_000_000_000;
  fake.now = () => clock;
});
afterEach(async () => {
  await fake.close();
});

/** One provider per node, every node's shared state on one Redis prefix (classic mode: every fetch makes a new token). */
async function nodes(n: number): Promise<{ providers: AccessTokenProvider[]; states: RedisSharedState[] }> {
  const prefix = freshRedisPrefix();
  const states: RedisSharedState[] = [];
  const providers: AccessTokenProvider[] = [];
  for (let i = 0; i < n; i++) {
    const state = new RedisSharedState({ url: REDIS_URL, prefix, nodeId: `node${i}`, maxSocketsPerUser: 10, logger: createLogger('silent') });
    await state.start();
    onCleanup(() => state.close());
    states.push(state);
    providers.push(
      new AccessTokenProvider({
        api: new WechatApi({ apiBase: fake.baseUrl, timeoutMs: 2000 }),
        config: { apps: [APP], apiBase: fake.baseUrl, tokenMode: 'classic' },
        cache: new SharedTokenCache(state.values, () => clock),
        locks: state.values,
        now: () => clock,
      }),
    );
  }
  return { providers, states };
}

describe.skipIf(!available)('WeChat access token across nodes', () => {
  it('two nodes asking at once: one token request, both nodes get the same token', async () => {
    fake.tokenDelayMs = 150;
    const { providers } = await nodes(2);
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => providers[i % 2]!.getToken(APP.appId)));
    expect(fake.calls('token')).toHaveLength(1);
    expect(new Set(tokens).size).toBe(1);
  });

  it('due for refresh on both nodes: one request; the node that waits keeps using the still valid token', async () => {
    fake.tokenDelayMs = 100;
    const { providers } = await nodes(2);
    const t1 = await providers[0]!.getToken(APP.appId);
    expect(await providers[1]!.getToken(APP.appId)).toBe(t1);
    clock += 7200_000 - TOKEN_REFRESH_MARGIN_MS + 1000;
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => providers[i % 2]!.getToken(APP.appId)));
    expect(fake.calls('token')).toHaveLength(2);
    const t2 = got.find((t) => t !== t1)!;
    expect(t2).toBeDefined();
    expect(new Set(got).size).toBeLessThanOrEqual(2);
    expect(await providers[0]!.getToken(APP.appId)).toBe(t2);
    expect(await providers[1]!.getToken(APP.appId)).toBe(t2);
  });

  it('WeChat rejects the token (42001) on both nodes at once: one new token for both', async () => {
    fake.tokenDelayMs = 100;
    const { providers } = await nodes(2);
    await providers[0]!.getToken(APP.appId);
    fake.expireAllTokens();
    const api = new WechatApi({ apiBase: fake.baseUrl, timeoutMs: 2000 });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => providers[i % 2]!.call(APP.appId, (t) => api.msgSecCheck(t, msgSecCheckRequest(`hi ${i}`, 'oU')))),
    );
    expect(results.every((r) => r.result.suggest === 'pass')).toBe(true);
    expect(fake.calls('token')).toHaveLength(2);
  });

  it('Redis unreachable: the node fetches a token on its own rather than failing', async () => {
    const { providers, states } = await nodes(1);
    await states[0]!.close();
    const token = await providers[0]!.getToken(APP.appId);
    expect(token).toMatch(/^ACCESS_TOKEN_/);
    expect(await providers[0]!.getToken(APP.appId)).toBe(token); // kept in the node's own copy
    expect(fake.calls('token')).toHaveLength(1);
  });
});
