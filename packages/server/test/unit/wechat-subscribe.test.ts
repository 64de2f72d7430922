import { Writable } from 'node:stream';
import { ImError, messagePreview } from '@miniim/protocol';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessTokenProvider } from '../../src/wechat/access-token-provider.js';
import { MemoryCreditStore, MemoryNotifyThrottle } from '../../src/wechat/memory-credit-store.js';
import { checkKeywordMapping, cut, formatWechatTime } from '../../src/wechat/subscribe-keywords.js';
import { buildTemplateData, type OfflineMessageEvent, SubscribeNotifier } from '../../src/wechat/subscribe-notifier.js';
import { WechatApi } from '../../src/wechat/wechat-api.js';
import type { WechatConfig } from '../../src/wechat/wechat-config.js';
import { FakeWechat } from '../support/fake-wechat.js';
import { ERRORS, KEYWORD_RULES, requestSubscribeResult } from '../support/wechat-fixtures.js';

const APP = { appId: 'wxsubscribe0000001', secret: 'sub-secret' };
const TPL = 'TPL_NEW_MESSAGE_aaaaaaaaaaaaaaaaaaaaaaa';
const TPL2 = 'TPL_MENTION_bbbbbbbbbbbbbbbbbbbbbbbbbbb';

let fake: FakeWechat;
let credits: MemoryCreditStore;
let online: Set<string>;
let clock: number;
let logLines: string[];
let notifier: SubscribeNotifier;

function make(over: Partial<NonNullable<WechatConfig['subscribe']>> = {}): SubscribeNotifier {
  const config: WechatConfig = {
    apps: [APP],
    apiBase: fake.baseUrl,
    subscribe: {
      enabled: true,
      windowMs: 60_000,
      templates: [
        { templateId: TPL, fields: { thing1: 'sender', thing2: 'preview', time3: 'time' } },
        { templateId: TPL2, fields: { thing1: 'conversation', thing2: { const: '有人提到了你' } } },
      ],
      ...over,
    },
  };
  const api = new WechatApi({ apiBase: fake.baseUrl, timeoutMs: 1000 });
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    }),
  );
  return new SubscribeNotifier({
    config,
    api,
    tokens: new AccessTokenProvider({ api, config }),
    credits,
    throttle: new MemoryNotifyThrottle(),
    isOnline: (u) => online.has(u),
    resolveRecipient: async (u) => (u.startsWith('web') ? undefined : { appId: APP.appId, openid: `o_${u}` }),
    logger,
    now: () => clock,
  });
}

const ev = (over: Partial<OfflineMessageEvent> = {}): OfflineMessageEvent => ({
  toUserId: 'bob',
  conv: 'd:alice:bob',
  senderName: 'Alice',
  preview: '晚上一起吃饭吗？',
  ts: Date.UTC(2024, 0, 2, 7, 4),
  ...over,
});

beforeEach(async () => {
  fake = await FakeWechat.start();
  fake.apps.set(APP.appId, APP.secret);
  fake.templates.set(TPL, ['thing1', 'thing2', 'time3']);
  fake.templates.set(TPL2, ['thing1', 'thing2']);
  credits = new MemoryCreditStore();
  online = new Set();
  clock = 1_700_000_000_000;
  logLines = [];
  notifier = make();
});
afterEach(async () => {
  await fake.close();
});

describe('SubscribeNotifier: credits', () => {
  it('each accepted configured template is one credit; reject/ban/unknown are not', async () => {
    const r1 = await notifier.recordAcceptance('bob', APP.appId, requestSubscribeResult({ [TPL]: 'accept', [TPL2]: 'reject', OTHER: 'accept' }));
    expect(r1).toEqual({ [TPL]: 1 });
    const r2 = await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept', [TPL2]: 'accept' });
    expect(r2).toEqual({ [TPL]: 2, [TPL2]: 1 });
    expect(await notifier.credits('alice')).toEqual({});
    expect(notifier.templateIds(APP.appId)).toEqual([TPL, TPL2]);
  });

  it('refuses malformed acceptance bodies', async () => {
    for (const bad of [null, 'accept', [TPL], { [TPL]: 1 }]) {
      await expect(notifier.recordAcceptance('bob', APP.appId, bad)).rejects.toBeInstanceOf(ImError);
    }
  });
});

describe('SubscribeNotifier: notify', () => {
  it('sends once for an offline user with a credit and consumes the credit', async () => {
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept' });
    fake.grantSubscription('o_bob', TPL);
    expect(await notifier.notify(ev())).toBe('sent');
    expect(fake.delivered).toHaveLength(1);
    expect(fake.delivered[0]).toEqual({
      touser: 'o_bob',
      template_id: TPL,
      page: 'pages/chat/chat?conv=d%3Aalice%3Abob',
      data: {
        thing1: { value: 'Alice' },
        thing2: { value: '晚上一起吃饭吗？' },
        time3: { value: '2024年1月2日 15:04' },
      },
      miniprogram_state: 'formal',
      lang: 'zh_CN',
    });
    expect(await notifier.credits('bob')).toEqual({});
    // No credit left: nothing more is sent, even after the window.
    clock += 120_000;
    expect(await notifier.notify(ev())).toBe('no_credit');
    expect(fake.calls('subscribe_send')).toHaveLength(1);
  });

  it('does not send to an online user and keeps the credit', async () => {
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept' });
    online.add('bob');
    expect(await notifier.notify(ev())).toBe('online');
    expect(fake.calls('subscribe_send')).toHaveLength(0);
    expect(await notifier.credits('bob')).toEqual({ [TPL]: 1 });
  });

  it('at most one notification per conversation per window', async () => {
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept', [TPL2]: 'accept' });
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept' });
    fake.grantSubscription('o_bob', TPL, 2);
    fake.grantSubscription('o_bob', TPL2, 1);
    expect(await notifier.notify(ev())).toBe('sent');
    expect(await notifier.notify(ev())).toBe('throttled');
    expect(await notifier.notify(ev({ conv: 'g:team', conversationName: '项目组' }))).toBe('sent');
    clock += 60_000;
    expect(await notifier.notify(ev())).toBe('sent');
    expect(fake.delivered.map((d) => d.template_id)).toEqual([TPL, TPL, TPL2]);
    expect(await notifier.credits('bob')).toEqual({});
  });

  it('43101 refused: credits of that template are dropped', async () => {
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept' });
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept' });
    // The fake has no quota for bob → 43101, as WeChat answers.
    expect(await notifier.notify(ev())).toBe('refused');
    expect(await notifier.credits('bob')).toEqual({});
  });

  it('47003 is logged as a config error and the credit is given back', async () => {
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept' });
    fake.grantSubscription('o_bob', TPL);
    fake.enqueue('subscribe_send', { json: ERRORS.invalidTemplateData });
    expect(await notifier.notify(ev())).toBe('failed');
    expect(await notifier.credits('bob')).toEqual({ [TPL]: 1 });
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.errcode === 47003);
    expect(line?.level).toBe(50);
    expect(line?.msg).toMatch(/config/);
    // The slot was released: a corrected retry goes out.
    expect(await notifier.notify(ev())).toBe('sent');
  });

  it('WeChat unreachable: failed, credit kept', async () => {
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept' });
    fake.grantSubscription('o_bob', TPL);
    fake.enqueue('subscribe_send', { hangup: true });
    expect(await notifier.notify(ev())).toBe('failed');
    expect(await notifier.credits('bob')).toEqual({ [TPL]: 1 });
    expect(await notifier.notify(ev())).toBe('sent');
  });

  it('thing values are cut to 20 characters (WeChat would answer 47003 otherwise)', async () => {
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept' });
    fake.grantSubscription('o_bob', TPL);
    const long = '这是一条非常非常长的消息内容，它肯定超过了二十个字符的限制吧';
    expect(await notifier.notify(ev({ preview: long, senderName: 'A'.repeat(40) }))).toBe('sent');
    const data = fake.delivered[0].data as Record<string, { value: string }>;
    expect(Array.from(data.thing2.value)).toHaveLength(20);
    expect(data.thing2.value.endsWith('…')).toBe(true);
    expect(Array.from(data.thing1.value)).toHaveLength(20);
  });

  it('every keyword type gets a value its documented rule accepts (the fake answers 47003 otherwise)', async () => {
    const TPL3 = 'TPL_ALL_TYPES_ccccccccccccccccccccccccc';
    const fields = {
      name1: 'sender',
      thing2: 'preview',
      time3: 'time',
      date4: 'time',
      phrase5: { const: '新消息' },
      number6: { const: '1' },
      character_string7: { const: 'IM-0001' },
      thing8: 'conversation',
      name9: 'conversation',
    } as const;
    fake.templates.set(TPL3, Object.keys(fields));
    const n = make({ templates: [{ templateId: TPL3, fields }] });
    for (let i = 0; i < 3; i++) await n.recordAcceptance('bob', APP.appId, { [TPL3]: 'accept' });
    fake.grantSubscription('o_bob', TPL3, 3);
    // Nicknames with digits and emoji, long text, a late-evening time.
    const cases = [
      ev({ senderName: 'Alice2024 🎉', preview: '🎉🎉🎉', ts: Date.UTC(2024, 9, 1, 15, 1) }),
      ev({ conv: 'g:1', senderName: '一二三四五六七八九十十一', conversationName: '周末去爬山的同学们一起来吧一起来吧一起来吧', preview: 'x'.repeat(50) }),
      ev({ conv: 'g:2', senderName: '😀', conversationName: '', preview: '' }),
    ];
    for (const e of cases) expect(await n.notify(e)).toBe('sent');
    expect(fake.delivered).toHaveLength(3);
    const first = fake.delivered[0].data as Record<string, { value: string }>;
    expect(first.time3.value).toBe('2024年10月1日 23:01');
    expect(first.date4.value).toBe('2024年10月1日 23:01');
    expect(first.name1.value).toBe('Alice');
    expect(first.thing2.value).toBe('[消息]');
    const third = fake.delivered[2].data as Record<string, { value: string }>;
    expect(third.name1.value).toBe('微信用户');
    for (const d of fake.delivered) {
      for (const [key, { value }] of Object.entries(d.data as Record<string, { value: string }>)) {
        expect(KEYWORD_RULES[key.replace(/\d+$/, '')](value), `${key}=${value}`).toBe(true);
      }
    }
  });

  it('users without WeChat identity, or subscribe disabled, get nothing', async () => {
    await notifier.recordAcceptance('web1', APP.appId, { [TPL]: 'accept' });
    expect(await notifier.notify(ev({ toUserId: 'web1' }))).toBe('no_recipient');
    expect(await make({ enabled: false }).notify(ev())).toBe('disabled');
    expect(fake.calls('subscribe_send')).toHaveLength(0);
  });

  it('a send with an expired token is retried once after a refresh', async () => {
    await notifier.recordAcceptance('bob', APP.appId, { [TPL]: 'accept', [TPL2]: 'accept' });
    fake.grantSubscription('o_bob', TPL);
    fake.grantSubscription('o_bob', TPL2);
    expect(await notifier.notify(ev())).toBe('sent');
    fake.expireAllTokens();
    expect(await notifier.notify(ev({ conv: 'g:x' }))).toBe('sent');
    expect(fake.calls('stable_token')).toHaveLength(2);
  });
});

describe('template helpers', () => {
  it('time and date keywords use the documented form', () => {
    expect(formatWechatTime(Date.UTC(2019, 9, 1, 7, 1), 'Asia/Shanghai')).toBe('2019年10月1日 15:01');
    expect(formatWechatTime(Date.UTC(2019, 0, 1, 16, 0), 'Asia/Shanghai')).toBe('2019年1月2日 00:00');
    expect(KEYWORD_RULES.time('2019-10-01 15:01')).toBe(false);
  });

  it('config mappings are checked against the keyword types', () => {
    expect(checkKeywordMapping('thing1', 'sender')).toBeUndefined();
    expect(checkKeywordMapping('time2', 'time')).toBeUndefined();
    expect(checkKeywordMapping('time2', 'sender')).toMatch(/time keyword takes "time"/);
    expect(checkKeywordMapping('phrase3', 'preview')).toMatch(/only a fixed value/);
    expect(checkKeywordMapping('phrase3', { const: '新消息提醒了' })).toMatch(/5 Chinese/);
    expect(checkKeywordMapping('phrase3', { const: '新消息' })).toBeUndefined();
    expect(checkKeywordMapping('number4', { const: '12.5' })).toBeUndefined();
    expect(checkKeywordMapping('number4', { const: '12a' })).toMatch(/digits/);
    expect(checkKeywordMapping('thing5', { const: 'x'.repeat(21) })).toMatch(/20/);
    expect(checkKeywordMapping('date6', { const: '2019年10月1日' })).toBeUndefined();
    expect(checkKeywordMapping('date6', { const: '2019-10-01' })).toMatch(/2019年10月1日/);
    expect(checkKeywordMapping('weird7', 'sender')).toMatch(/unknown keyword type/);
  });

  it('messagePreview / cut / buildTemplateData', () => {
    expect(messagePreview('image', { url: 'x' })).toBe('[图片]');
    expect(messagePreview('file', { url: 'x', name: 'a.pdf' })).toBe('[文件] a.pdf');
    expect(cut('abc', 3)).toBe('abc');
    expect(cut('abcd', 3)).toBe('ab…');
    expect(cut('😀😀😀😀', 3)).toBe('😀😀…');
    const data = buildTemplateData(
      { name1: 'sender', phrase2: { const: '新消息提醒' }, thing3: 'preview' },
      ev({ senderName: '一二三四五六七八九十十一', preview: '  \n ' }),
      'Asia/Shanghai',
    );
    expect(data.name1.value).toBe('一二三四五六七八九十');
    expect(data.phrase2.value).toBe('新消息提醒');
    expect(data.thing3.value).toBe('[消息]');
  });
});
