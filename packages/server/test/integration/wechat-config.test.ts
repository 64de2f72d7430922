/** WeChat and moderation settings from the environment, one-line config errors, and the dev secret key. */

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/app.js';
import { ConfigError } from '../../src/config/config.js';
import { loadServerConfig as loadConfig } from '../../src/server-config.js';
import { FakeWechat } from '../support/fake-wechat.js';
import { httpJson, onCleanup, tempDir } from '../support/server.js';

const KEY = randomBytes(32).toString('base64');

function configError(env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}): string {
  try {
    loadConfig(env, overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected a ConfigError');
}

describe('WeChat config', () => {
  it('maps the MINIIM_WECHAT_* and MINIIM_MODERATION_* variables', () => {
    const words = path.join(tempDir(), 'words.txt');
    writeFileSync(words, '赌博\n');
    const c = loadConfig({
      MINIIM_WECHAT_APPID: 'wxabcdef123456',
      MINIIM_WECHAT_SECRET: 's3cret',
      MINIIM_WECHAT_API_BASE: 'http://127.0.0.1:9',
      MINIIM_WECHAT_PUSH_TOKEN: 'tok123',
      MINIIM_WECHAT_USE_UNIONID: 'true',
      MINIIM_WECHAT_TOKEN_MODE: 'classic',
      MINIIM_SECRET_KEY: KEY,
      MINIIM_MODERATION_KEYWORDS_FILE: words,
      MINIIM_MODERATION_WECHAT: 'on',
      MINIIM_MODERATION_FAIL_POLICY: 'closed',
      MINIIM_MODERATION_REVIEW: 'reject',
    });
    expect(c.wechat).toMatchObject({
      apps: [{ appId: 'wxabcdef123456', secret: 's3cret', token: 'tok123', useUnionId: true }],
      apiBase: 'http://127.0.0.1:9',
      tokenMode: 'classic',
    });
    expect(c.secretKey).toBe(KEY);
    expect(c.moderation).toMatchObject({
      keywords: { enabled: true, file: words },
      wechat: { enabled: true, failPolicy: 'closed', onReview: 'reject' },
      webhook: { enabled: false, failPolicy: 'closed' },
    });
    expect(loadConfig({}).wechat.apps).toEqual([]);
    expect(loadConfig({}).moderation.keywords.enabled).toBe(false);
  });

  it('answers invalid settings with one line naming the variable', () => {
    expect(configError({ MINIIM_WECHAT_APPID: 'nope', MINIIM_WECHAT_SECRET: 's' })).toMatch(/^invalid config MINIIM_WECHAT_APPID: /);
    expect(configError({ MINIIM_WECHAT_APPID: 'wxabcdef123456' })).toMatch(/^invalid config MINIIM_WECHAT_SECRET: /);
    expect(configError({ MINIIM_WECHAT_SECRET: 's' })).toMatch(/^invalid config MINIIM_WECHAT_APPID: /);
    expect(
      configError({
        MINIIM_WECHAT_APPID: 'wxabcdef123456',
        MINIIM_WECHAT_SECRET: 's',
        MINIIM_WECHAT_PUSH_TOKEN: 'a b',
      }),
    ).toMatch(/^invalid config MINIIM_WECHAT_PUSH_TOKEN: /);
    expect(configError({ MINIIM_WECHAT_TOKEN_MODE: 'magic' })).toMatch(/^invalid config MINIIM_WECHAT_TOKEN_MODE: /);
    const app = { MINIIM_WECHAT_APPID: 'wxabcdef123456', MINIIM_WECHAT_SECRET: 's' };
    // A push mode the server could not read is refused at start, not discovered when verdicts are dropped.
    expect(configError({ ...app, MINIIM_WECHAT_PUSH_MODE: 'safe' })).toMatch(
      /^invalid config MINIIM_WECHAT_PUSH_AES_KEY: required when pushMode is compatible or safe/,
    );
    expect(configError({ ...app, MINIIM_WECHAT_PUSH_MODE: 'secret' })).toMatch(/^invalid config MINIIM_WECHAT_PUSH_MODE: /);
    expect(configError({ ...app, MINIIM_WECHAT_PUSH_AES_KEY: 'short' })).toMatch(/^invalid config MINIIM_WECHAT_PUSH_AES_KEY: /);
    expect(loadConfig({ ...app, MINIIM_WECHAT_PUSH_MODE: 'safe', MINIIM_WECHAT_PUSH_AES_KEY: 'a'.repeat(43) }).wechat.apps[0]).toMatchObject({
      pushMode: 'safe',
      encodingAESKey: 'a'.repeat(43),
    });
    expect(configError({ MINIIM_WECHAT_API_BASE: 'not a url' })).toMatch(/^invalid config MINIIM_WECHAT_API_BASE: /);
    expect(configError({ MINIIM_SECRET_KEY: 'short' })).toMatch(/^invalid config MINIIM_SECRET_KEY: must be 32 bytes/);
    expect(configError({ MINIIM_MODERATION_WECHAT: 'on' })).toMatch(/^invalid config MINIIM_MODERATION_WECHAT: needs a WeChat app/);
    expect(configError({ MINIIM_MODERATION_WECHAT: 'maybe' })).toMatch(/^invalid config MINIIM_MODERATION_WECHAT: /);
    expect(configError({ MINIIM_MODERATION_FAIL_POLICY: 'sometimes' })).toMatch(/^invalid config MINIIM_MODERATION_FAIL_POLICY: /);
    expect(configError({ MINIIM_MODERATION_KEYWORDS_FILE: '/nonexistent/words.txt' })).toMatch(/^invalid config MINIIM_MODERATION_KEYWORDS_FILE: cannot read/);
    expect(configError({ MINIIM_MODERATION_WEBHOOK_URL: 'nope' })).toMatch(/^invalid config MINIIM_MODERATION_WEBHOOK_URL: /);
    const prod = {
      NODE_ENV: 'production',
      MINIIM_TOKEN_SECRET: 'x'.repeat(32),
      MINIIM_MEDIA_SIGNED_URL_SECRET: 'm'.repeat(32),
      MINIIM_WECHAT_APPID: 'wxabcdef123456',
      MINIIM_WECHAT_SECRET: 's',
    };
    expect(configError(prod)).toBe('invalid config MINIIM_SECRET_KEY: required when NODE_ENV=production and WeChat is configured');
    expect(loadConfig({ ...prod, MINIIM_SECRET_KEY: KEY }).production).toBe(true);
    expect(configError({}, { wechat: { apps: [{ appId: 'wxabcdef123456' }] } })).toMatch(/^invalid config wechat\.apps\.0\.secret: /);
  });

  it('starts from env alone; in development the session_key key is generated once into the data dir', async () => {
    const fake = await FakeWechat.start();
    onCleanup(() => fake.close());
    fake.apps.set('wxenv000000000001', 'envSecret');
    fake.addCode('c1', { openid: 'oENV', session_key: randomBytes(16).toString('base64') });
    const dir = tempDir();
    const env = {
      MINIIM_WECHAT_APPID: 'wxenv000000000001',
      MINIIM_WECHAT_SECRET: 'envSecret',
      MINIIM_WECHAT_API_BASE: fake.baseUrl,
    };
    const server = await createServer({
      env,
      overrides: { port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent' },
    });
    onCleanup(() => server.close());
    const { port } = await server.listen();
    const r = await httpJson(`http://127.0.0.1:${port}`, 'POST', '/api/auth/wechat', {
      body: { code: 'c1' },
    });
    expect(r.status).toBe(200);
    const file = path.join(dir, '.secret-key');
    expect(existsSync(file)).toBe(true);
    const key = readFileSync(file, 'utf8');
    await server.close();
    const again = await createServer({
      env,
      overrides: { port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent' },
    });
    onCleanup(() => again.close());
    expect(again.wechat.wechat!.secretKey.toString('base64')).toBe(key);
  });
});
