import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImError } from '@miniim/protocol';
import { describe, expect, it } from 'vitest';
import { parseModerationConfig } from '../../src/moderation/moderation-config-schema.js';
import { resolveApp } from '../../src/wechat/wechat-config.js';
import { parseWechatConfig } from '../../src/wechat/wechat-config-schema.js';

describe('parseWechatConfig', () => {
  it('maps the single-app env names and keeps file apps', () => {
    const c = parseWechatConfig(
      {
        apps: [
          { appId: 'wx1111111111111111', secret: 'f1' },
          { appId: 'wx2222222222222222', secret: 'old' },
        ],
      },
      {
        MINIIM_WECHAT_APPID: 'wx2222222222222222',
        MINIIM_WECHAT_SECRET: 'env-secret',
        MINIIM_WECHAT_API_BASE: 'http://127.0.0.1:9999',
        MINIIM_WECHAT_PUSH_TOKEN: 'pushToken1',
        MINIIM_WECHAT_USE_UNIONID: 'true',
        MINIIM_WECHAT_TOKEN_MODE: 'classic',
      },
    );
    expect(c.apps).toEqual([
      { appId: 'wx2222222222222222', secret: 'env-secret', token: 'pushToken1', useUnionId: true },
      { appId: 'wx1111111111111111', secret: 'f1' },
    ]);
    expect(c.apiBase).toBe('http://127.0.0.1:9999');
    expect(c.tokenMode).toBe('classic');
    expect(resolveApp(c).appId).toBe('wx2222222222222222');
    expect(resolveApp(c, 'wx1111111111111111').secret).toBe('f1');
  });

  it('refuses bad values with a message naming them', () => {
    expect(() => parseWechatConfig({}, { MINIIM_WECHAT_APPID: 'nope', MINIIM_WECHAT_SECRET: 's' })).toThrow(/appId/);
    expect(() => parseWechatConfig({}, { MINIIM_WECHAT_TOKEN_MODE: 'fast' })).toThrow();
    expect(() => parseWechatConfig({ apps: [{ appId: 'wx1111111111111111', secret: 's', token: 'bad token!' }] }, {})).toThrow(/push token/);
  });

  it('refuses template mappings WeChat would answer 47003 for', () => {
    const sub = (fields: Record<string, unknown>) => ({ subscribe: { enabled: true, templates: [{ templateId: 'T', fields }] } });
    expect(() => parseWechatConfig(sub({ thing1: 'sender', time2: 'time', name3: 'sender' }), {})).not.toThrow();
    expect(() => parseWechatConfig(sub({ phrase1: 'preview' }), {})).toThrow(/phrase keyword takes only a fixed value/);
    expect(() => parseWechatConfig(sub({ time1: 'sender' }), {})).toThrow(/time keyword/);
    expect(() => parseWechatConfig(sub({ phrase1: { const: '您有一条新消息' } }), {})).toThrow(/5 Chinese/);
    expect(() => parseWechatConfig(sub({ foo1: 'sender' }), {})).toThrow(/unknown keyword type/);
  });

  it('no apps: resolveApp says WeChat login is not configured', () => {
    const c = parseWechatConfig(undefined, {});
    expect(c.apps).toEqual([]);
    expect(() => resolveApp(c)).toThrow(ImError);
  });
});

describe('parseModerationConfig', () => {
  it('defaults to everything off', () => {
    expect(parseModerationConfig(undefined, {})).toEqual({
      keywords: { enabled: false },
      wechat: { enabled: false },
      webhook: { enabled: false },
    });
  });

  it('maps env names', () => {
    const words = path.join(mkdtempSync(path.join(tmpdir(), 'miniim-words-')), 'words.txt');
    writeFileSync(words, 'bad\n');
    const c = parseModerationConfig(
      {},
      {
        MINIIM_MODERATION_KEYWORDS_FILE: words,
        MINIIM_MODERATION_WECHAT: 'on',
        MINIIM_MODERATION_FAIL_POLICY: 'closed',
        MINIIM_MODERATION_REVIEW: 'reject',
        MINIIM_MODERATION_WEBHOOK_URL: 'https://mod.example.com/check',
      },
    );
    expect(c.keywords).toEqual({ enabled: true, file: words });
    expect(c.wechat).toEqual({ enabled: true, failPolicy: 'closed', onReview: 'reject' });
    expect(c.webhook).toMatchObject({
      enabled: true,
      url: 'https://mod.example.com/check',
      failPolicy: 'closed',
    });
    expect(() => parseModerationConfig({}, { MINIIM_MODERATION_FAIL_POLICY: 'maybe' })).toThrow(/failPolicy/);
    expect(() => parseModerationConfig({ webhook: { enabled: true } }, {})).toThrow(/MINIIM_MODERATION_WEBHOOK_URL: required/);
    expect(() => parseModerationConfig({}, { MINIIM_MODERATION_KEYWORDS_FILE: `${words}.missing` })).toThrow(/cannot read/);
  });
});
