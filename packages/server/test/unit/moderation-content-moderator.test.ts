import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImError } from '@miniim/protocol';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentModerator } from '../../src/moderation/content-moderator.js';
import type { ModerationConfig } from '../../src/moderation/moderation-config.js';
import { createModeration } from '../../src/moderation/moderation-hooks.js';
import type { ModerationContext } from '../../src/moderation/moderation-types.js';
import { AccessTokenProvider } from '../../src/wechat/access-token-provider.js';
import { WechatApi } from '../../src/wechat/wechat-api.js';
import type { WechatConfig } from '../../src/wechat/wechat-config.js';
import { splitForCheck, WechatTextCheck } from '../../src/wechat/wechat-text-check.js';
import { FakeWechat } from '../support/fake-wechat.js';
import { ERRORS, msgSecCheckRequest } from '../support/wechat-fixtures.js';

const APP = { appId: 'wxmoderation000001', secret: 'mod-secret' };
const CTX: ModerationContext = { userId: 'u1', openid: 'oSENDER', appId: APP.appId, scene: 'message' };

let fake: FakeWechat;
let registry: Registry;

function config(
  over: { wechat?: Partial<ModerationConfig['wechat']>; keywords?: Partial<ModerationConfig['keywords']>; webhook?: Partial<ModerationConfig['webhook']> } = {},
): ModerationConfig {
  return {
    keywords: { enabled: false, ...over.keywords },
    wechat: { enabled: true, ...over.wechat },
    webhook: { enabled: false, ...over.webhook },
  };
}

function moderator(cfg: ModerationConfig, apiBase = fake.baseUrl): ContentModerator {
  const api = new WechatApi({ apiBase, timeoutMs: 500 });
  const wcfg: WechatConfig = { apps: [APP], apiBase };
  const wechat = new WechatTextCheck(api, new AccessTokenProvider({ api, config: wcfg }));
  return new ContentModerator({ config: cfg, wechat, registry });
}

async function rejection(p: Promise<void>): Promise<ImError | undefined> {
  return p.then(
    () => undefined,
    (e) => {
      expect(e).toBeInstanceOf(ImError);
      return e as ImError;
    },
  );
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

beforeEach(async () => {
  fake = await FakeWechat.start();
  fake.apps.set(APP.appId, APP.secret);
  registry = new Registry();
});
afterEach(async () => {
  await fake.close();
});

describe('ContentModerator: WeChat msgSecCheck v2', () => {
  it('pass: resolves and sends the documented request', async () => {
    const m = moderator(config());
    await m.checkText('你好', CTX);
    const call = fake.calls('msg_sec_check')[0];
    expect(call.body).toEqual(msgSecCheckRequest('你好', 'oSENDER', 2));
    expect(call.query.access_token).toMatch(/^ACCESS_TOKEN_/);
  });

  it('nickname / group name use scene 1', async () => {
    const m = moderator(config());
    await m.checkText('昵称', { ...CTX, scene: 'nickname' });
    await m.checkText('群名', { ...CTX, scene: 'group_name' });
    expect(fake.calls('msg_sec_check').map((c) => c.body?.scene)).toEqual([1, 1]);
  });

  it('risky → 422 content_rejected, counted', async () => {
    const m = moderator(config());
    const err = await rejection(m.checkText('this has a risky-word', CTX));
    expect(err?.code).toBe('content_rejected');
    expect(err?.status).toBe(422);
    expect(await metric('miniim_moderation_rejected_total', { stage: 'wechat' })).toBe(1);
  });

  it('review → accepted by default, rejected when configured', async () => {
    await moderator(config()).checkText('needs review-word', CTX);
    const err = await rejection(moderator(config({ wechat: { onReview: 'reject' } })).checkText('review-word', CTX));
    expect(err?.code).toBe('content_rejected');
  });

  it('unreachable + fail-open → accepted, warning metric counted', async () => {
    const closed = await FakeWechat.start();
    const url = closed.baseUrl;
    await closed.close();
    const m = moderator(config(), url);
    await m.checkText('hello', CTX);
    expect(await metric('miniim_moderation_unavailable_total', { stage: 'wechat', policy: 'open' })).toBe(1);
  });

  it('unreachable + fail-closed → 503 unavailable, counted', async () => {
    fake.enqueue('msg_sec_check', { status: 502, text: 'Bad Gateway' });
    const m = moderator(config({ wechat: { failPolicy: 'closed' } }));
    const err = await rejection(m.checkText('hello', CTX));
    expect(err?.code).toBe('unavailable');
    expect(await metric('miniim_moderation_unavailable_total', { stage: 'wechat', policy: 'closed' })).toBe(1);
  });

  it('timeout counts as unreachable (fail-closed)', async () => {
    fake.enqueue('msg_sec_check', { json: { errcode: 0 }, delayMs: 2000 });
    const m = moderator(config({ wechat: { failPolicy: 'closed' } }));
    expect((await rejection(m.checkText('hello', CTX)))?.code).toBe('unavailable');
  });

  it('a WeChat error other than the token ones follows the fail policy', async () => {
    fake.enqueue('msg_sec_check', { json: ERRORS.invalidOpenid });
    await moderator(config()).checkText('hello', CTX);
    fake.enqueue('msg_sec_check', { json: ERRORS.invalidOpenid });
    const err = await rejection(moderator(config({ wechat: { failPolicy: 'closed' } })).checkText('hello', CTX));
    expect(err?.code).toBe('unavailable');
  });

  it('40001 during the check: token refreshed, check retried, verdict kept', async () => {
    const m = moderator(config());
    fake.enqueue('msg_sec_check', { json: ERRORS.invalidCredential });
    const err = await rejection(m.checkText('risky-word', CTX));
    expect(err?.code).toBe('content_rejected');
    expect(fake.calls('msg_sec_check')).toHaveLength(2);
  });

  it('texts over 2,500 characters are split; a risky chunk rejects the whole', async () => {
    const m = moderator(config());
    const long = `${'好'.repeat(3000)}risky-word${'好'.repeat(1500)}`;
    const err = await rejection(m.checkText(long, CTX));
    expect(err?.code).toBe('content_rejected');
    const calls = fake.calls('msg_sec_check');
    expect(calls.length).toBe(2);
    for (const c of calls) expect(String(c.body?.content).length).toBeLessThanOrEqual(2500);
  });

  it('the moderateText hook resolves the sender identity', async () => {
    const api = new WechatApi({ apiBase: fake.baseUrl, timeoutMs: 500 });
    const textCheck = new WechatTextCheck(api, new AccessTokenProvider({ api, config: { apps: [APP], apiBase: fake.baseUrl } }));
    const identity = async (u: string) => (u === 'wx-user' ? { openid: 'oHOOK', appId: APP.appId } : undefined);
    const hooks = createModeration({ config: config(), wechat: { textCheck, identity }, logger: pino({ level: 'silent' }), registry });
    if (!hooks) throw new Error('moderation with the WeChat stage on must give hooks');
    const hook = hooks.moderateText;
    const err = await rejection(hook('risky-word', { userId: 'wx-user', conv: 'd:a:b' }));
    expect(err?.code).toBe('content_rejected');
    await hook('risky-word', { userId: 'web-user', conv: 'd:a:b' });
    expect(fake.calls('msg_sec_check').map((c) => c.body?.openid)).toEqual(['oHOOK']);
  });

  it('without an openid the WeChat stage is skipped', async () => {
    const m = moderator(config());
    await m.checkText('risky-word', { userId: 'web-user', scene: 'message' });
    expect(fake.calls('msg_sec_check')).toHaveLength(0);
  });
});

describe('ContentModerator: keyword stage and order', () => {
  it('a keyword hit rejects without calling WeChat', async () => {
    const m = moderator(config({ keywords: { enabled: true, words: ['禁词'] } }));
    expect(m.stageNames).toEqual(['keywords', 'wechat']);
    const err = await rejection(m.checkText('这是禁　词', CTX));
    expect(err?.code).toBe('content_rejected');
    expect(fake.calls('msg_sec_check')).toHaveLength(0);
    expect(await metric('miniim_moderation_rejected_total', { stage: 'keywords' })).toBe(1);
  });

  it('stages can be turned off', async () => {
    const m = moderator(config({ wechat: { enabled: false }, keywords: { enabled: true, words: ['x1'] } }));
    expect(m.stageNames).toEqual(['keywords']);
    await m.checkText('risky-word', CTX);
    expect(fake.calls('msg_sec_check')).toHaveLength(0);
  });
});

describe('ContentModerator: webhook stage', () => {
  let hook: Server;
  let hookUrl: string;
  let answers: Array<{ status: number; body: string }>;
  let received: Array<{ body: string; sig?: string }>;

  beforeEach(async () => {
    answers = [];
    received = [];
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ body, sig: req.headers['x-miniim-signature'] as string | undefined });
        const a = answers.shift() ?? { status: 200, body: '{"suggest":"pass"}' };
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body);
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/check`;
  });
  afterEach(async () => {
    await new Promise<void>((r) => hook.close(() => r()));
  });

  const hookConfig = (over: Partial<ModerationConfig['webhook']> = {}) =>
    config({
      wechat: { enabled: false },
      webhook: { enabled: true, url: hookUrl, secret: 'hook-secret', ...over },
    });

  it('passes, rejects on risky, and signs the body', async () => {
    const m = moderator(hookConfig());
    await m.checkText('hi', CTX);
    answers.push({ status: 200, body: '{"suggest":"risky","label":"spam"}' });
    expect((await rejection(m.checkText('buy now', CTX)))?.code).toBe('content_rejected');
    const { body, sig } = received[0];
    expect(JSON.parse(body)).toEqual({ text: 'hi', userId: 'u1', scene: 'message', appId: APP.appId });
    expect(sig).toBe(`sha256=${createHmac('sha256', 'hook-secret').update(body).digest('hex')}`);
  });

  it('a broken webhook follows its fail policy', async () => {
    answers.push({ status: 500, body: 'oops' });
    await moderator(hookConfig()).checkText('hi', CTX);
    answers.push({ status: 200, body: 'not json' });
    const err = await rejection(moderator(hookConfig({ failPolicy: 'closed' })).checkText('hi', CTX));
    expect(err?.code).toBe('unavailable');
  });
});

describe('splitForCheck', () => {
  it('never splits a surrogate pair and covers the whole text', () => {
    const text = '😀'.repeat(3000);
    const chunks = splitForCheck(text);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2500);
      expect(c).toBe(c.normalize()); // well-formed
      expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(c)).toBe(false);
    }
    expect(chunks.join('').length).toBeGreaterThanOrEqual(text.length);
    expect(splitForCheck('short')).toEqual(['short']);
  });
});
