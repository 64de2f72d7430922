import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentModerator } from '../../src/moderation/content-moderator.js';
import { AccessTokenProvider } from '../../src/wechat/access-token-provider.js';
import { WECHAT_REDACT_PATHS } from '../../src/wechat/log-redaction.js';
import { MediaCheck } from '../../src/wechat/media-check.js';
import { MemoryCreditStore } from '../../src/wechat/memory-credit-store.js';
import { SubscribeNotifier } from '../../src/wechat/subscribe-notifier.js';
import { MemoryTraceStore } from '../../src/wechat/trace-store.js';
import { WechatApi } from '../../src/wechat/wechat-api.js';
import type { WechatConfig } from '../../src/wechat/wechat-config.js';
import { wechatLogin } from '../../src/wechat/wechat-login.js';
import { WechatTextCheck } from '../../src/wechat/wechat-text-check.js';
import { FakeWechat } from '../support/fake-wechat.js';
import { ERRORS, encryptUserData, mediaCheckPushJson, pushQuery, signRawData, userInfoPlain } from '../support/wechat-fixtures.js';

const APP = {
  appId: 'wxlogs000000000001',
  secret: `app-secret-${randomBytes(8).toString('hex')}`,
  token: 'push-tok',
};
const TPL = 'TPL_LOGS_cccccccccccccccccccccccccccc';

let fake: FakeWechat;
let lines: string[];
let logger: pino.Logger;

beforeEach(async () => {
  fake = await FakeWechat.start();
  fake.apps.set(APP.appId, APP.secret);
  fake.templates.set(TPL, ['thing1']);
  lines = [];
  logger = pino(
    { level: 'trace', redact: { paths: WECHAT_REDACT_PATHS, censor: '[redacted]' } },
    new Writable({
      write(chunk, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
});
afterEach(async () => {
  await fake.close();
});

describe('logs never contain session_key, access_token or app secret values', () => {
  it('across login, tokens, moderation, media push and subscribe flows', async () => {
    const config: WechatConfig = {
      apps: [APP],
      apiBase: fake.baseUrl,
      subscribe: { enabled: true, templates: [{ templateId: TPL, fields: { thing1: 'preview' } }] },
    };
    const api = new WechatApi({ apiBase: fake.baseUrl, timeoutMs: 300 });
    const tokens = new AccessTokenProvider({ api, config, logger });
    const secretKey = randomBytes(32);
    const sessionKeys: string[] = [];
    const sk = () => {
      const k = randomBytes(16).toString('base64');
      sessionKeys.push(k);
      return k;
    };

    // Logins: success with profile (both forms), failures, busy retry.
    const k1 = sk();
    fake.addCode('c1', { openid: 'oLOG', session_key: k1, unionid: 'oUNION' });
    const raw = JSON.stringify({ nickName: 'n' });
    const iv = randomBytes(16);
    const login = await wechatLogin(
      { config, api, secretKey, logger },
      {
        code: 'c1',
        rawData: raw,
        signature: signRawData(raw, k1),
        encryptedData: encryptUserData(userInfoPlain(APP.appId, 'oLOG'), k1, iv),
        iv: iv.toString('base64'),
      },
    );
    fake.addCode('c2', { openid: 'oLOG', session_key: sk() });
    await wechatLogin({ config, api, secretKey, logger }, { code: 'c2', rawData: raw, signature: 'f'.repeat(40) }).catch(() => {});
    fake.enqueue('jscode2session', { json: ERRORS.systemBusy }, { json: ERRORS.systemBusy });
    await wechatLogin({ config, api, secretKey, logger }, { code: 'x' }).catch(() => {});
    await wechatLogin({ config: { ...config, apps: [{ ...APP, secret: 'bad' }] }, api, secretKey, logger }, { code: 'x' }).catch(() => {});
    fake.enqueue('jscode2session', { hangup: true });
    await wechatLogin({ config, api, secretKey, logger }, { code: 'x' }).catch(() => {});

    // Tokens: fetch, 40001 retry, expiry.
    const moderator = new ContentModerator({
      config: {
        keywords: { enabled: true, words: ['bad'] },
        wechat: { enabled: true },
        webhook: { enabled: false },
      },
      wechat: new WechatTextCheck(api, tokens),
      logger,
      registry: new Registry(),
    });
    const ctx = { userId: login.userId, openid: 'oLOG', appId: APP.appId, scene: 'message' as const };
    await moderator.checkText('hello', ctx);
    fake.forceRefreshElsewhere(APP.appId);
    await moderator.checkText('hello', ctx);
    fake.expireAllTokens();
    await moderator.checkText('review-word', ctx);
    await moderator.checkText('risky-word', ctx).catch(() => {});
    await moderator.checkText('b a d', ctx).catch(() => {});
    fake.enqueue('msg_sec_check', { json: {}, delayMs: 1000 });
    await moderator.checkText('slow', ctx);

    // Media check + push.
    const media = new MediaCheck({
      config: { keywords: { enabled: false }, wechat: { enabled: true }, webhook: { enabled: false } },
      wechatConfig: config,
      api,
      tokens,
      traces: new MemoryTraceStore(),
      onRisky: () => {},
      logger,
      registry: new Registry(),
    });
    const traceId = await media.submit({ url: 'https://x/a.jpg', type: 'image' }, { conv: 'g:g', seq: 1, userId: 'u' }, ctx);
    await media.handlePush({
      method: 'POST',
      query: pushQuery(APP.token),
      rawBody: JSON.stringify(mediaCheckPushJson(APP.appId, traceId!, 'risky')),
    });
    await media.handlePush({ method: 'POST', query: pushQuery('forged'), rawBody: '{}' });

    // Subscribe: refused, config error, sent.
    const notifier = new SubscribeNotifier({
      config,
      api,
      tokens,
      credits: new MemoryCreditStore(),
      isOnline: () => false,
      resolveRecipient: async () => ({ appId: APP.appId, openid: 'oLOG' }),
      logger,
    });
    await notifier.recordAcceptance('u', APP.appId, { [TPL]: 'accept' });
    await notifier.notify({ toUserId: 'u', conv: 'c1', senderName: 's', preview: 'p', ts: Date.now() });
    await notifier.recordAcceptance('u', APP.appId, { [TPL]: 'accept' });
    fake.grantSubscription('oLOG', TPL);
    fake.enqueue('subscribe_send', { json: ERRORS.invalidTemplateData });
    await notifier.notify({ toUserId: 'u', conv: 'c2', senderName: 's', preview: 'p', ts: Date.now() });
    await notifier.notify({ toUserId: 'u', conv: 'c2', senderName: 's', preview: 'p', ts: Date.now() });

    // Even a careless caller that logs secrets in the usual field names is redacted.
    logger.info({ session_key: k1, access_token: fake.issuedTokens[0], secret: APP.secret }, 'careless');
    logger.info({ wechat: { sessionKey: k1, accessToken: fake.issuedTokens[0] } }, 'careless nested');

    const out = lines.join('');
    if (process.env.DUMP_LOGS) console.log(out);
    expect(lines.length).toBeGreaterThan(10);
    expect(fake.issuedTokens.length).toBeGreaterThanOrEqual(3);
    expect(sessionKeys.length).toBe(2);
    for (const key of sessionKeys) expect(out).not.toContain(key);
    for (const token of fake.issuedTokens) expect(out).not.toContain(token);
    expect(out).not.toContain(APP.secret);
    expect(out).not.toContain(login.sessionKeyEnc);
    expect(out).toContain('[redacted]');
    // The flows above did log what they should (so this test is not vacuous).
    expect(out).toContain('WeChat access token fetched');
    expect(out).toContain('content check unavailable');
    expect(out).toContain('47003');
  });
});
