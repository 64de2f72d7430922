/**
 * A real MiniIM server on port 0 wired to a local fake WeChat server, with
 * every log line captured (level trace) for the log-redaction checks.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createServer, type MiniImServer } from '../../src/app.js';
import { FakeWechat } from './fake-wechat.js';
import { httpJson, onCleanup, TestClient, tempDir, testStorage } from './server.js';

export const APP_ID = 'wxtest00000000000001';
export const APP_ID_2 = 'wxtest00000000000002';
export const PUSH_TOKEN = 'pushToken123';
export const TEMPLATE = 'TPL_NEW_MESSAGE_aaaaaaaaaaaaaaaaaaaaaa';

export interface WechatTestServer {
  server: MiniImServer;
  fake: FakeWechat;
  url: string;
  /** The app secret(s) configured (for the log grep). */
  secrets: string[];
  /** Every session_key the fake handed out. */
  sessionKeys: string[];
  /** Captured log lines (JSON). */
  logs: string[];
  http: (
    method: string,
    route: string,
    opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ) => Promise<{ status: number; body: any }>;
  connect(token: string): Promise<TestClient>;
  devLogin(userId: string, nickname?: string): Promise<string>;
  /** Registers a fresh code for `openid` at the fake and logs in with it. */
  wxLogin(
    openid: string,
    opts?: { appId?: string; unionid?: string; body?: Record<string, unknown>; sessionKey?: string },
  ): Promise<{ status: number; body: any; sessionKey: string }>;
}

export interface WechatServerOptions {
  /** Config overrides merged over the WeChat defaults below. */
  overrides?: Record<string, unknown>;
  /** Extra fields for the `wechat` section (subscribe…). */
  wechat?: Record<string, unknown>;
  /** Second app (APP_ID_2) configured too. */
  twoApps?: boolean;
  useUnionId?: boolean;
  /** Extra settings of the first app (encodingAESKey, pushMode…). */
  app?: Record<string, unknown>;
  fake?: FakeWechat;
}

let codeSeq = 0;

export async function startWechatServer(opts: WechatServerOptions = {}): Promise<WechatTestServer> {
  const fake = opts.fake ?? (await FakeWechat.start());
  if (!opts.fake) onCleanup(() => fake.close());
  const secret = `sec${randomBytes(12).toString('hex')}`;
  const secret2 = `sec${randomBytes(12).toString('hex')}`;
  fake.apps.set(APP_ID, secret);
  fake.apps.set(APP_ID_2, secret2);
  const apps: Array<Record<string, unknown>> = [{ appId: APP_ID, secret, token: PUSH_TOKEN, useUnionId: opts.useUnionId ?? false, ...opts.app }];
  if (opts.twoApps) apps.push({ appId: APP_ID_2, secret: secret2, token: PUSH_TOKEN, useUnionId: opts.useUnionId ?? false });
  const logs: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const dataDir = tempDir('miniim-wx-');
  const server = await createServer({
    env: {},
    overrides: {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      ...(await testStorage(dataDir)),
      devLogin: true,
      logLevel: 'trace',
      wechat: { apps, apiBase: fake.baseUrl, timeoutMs: 1000, ...opts.wechat },
      ...opts.overrides,
    },
    logDestination: dest,
  });
  const { port } = await server.listen();
  onCleanup(() => server.close());
  const url = `http://127.0.0.1:${port}`;
  const sessionKeys: string[] = [];
  const t: WechatTestServer = {
    server,
    fake,
    url,
    secrets: [secret, secret2],
    sessionKeys,
    logs,
    http: (method, route, o = {}) => httpJson(url, method, route, o),
    connect: (token) => TestClient.connect(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`),
    async devLogin(userId, nickname) {
      const r = await t.http('POST', '/api/auth/dev', { body: nickname ? { userId, nickname } : { userId } });
      if (r.status !== 200) throw new Error(`dev login failed: ${JSON.stringify(r.body)}`);
      return r.body.token;
    },
    async wxLogin(openid, o = {}) {
      const sessionKey = o.sessionKey ?? randomBytes(16).toString('base64');
      sessionKeys.push(sessionKey);
      const code = `code-${++codeSeq}-${randomBytes(4).toString('hex')}`;
      fake.addCode(code, o.unionid ? { openid, session_key: sessionKey, unionid: o.unionid } : { openid, session_key: sessionKey });
      const body: Record<string, unknown> = { code, ...o.body };
      if (o.appId) body.appId = o.appId;
      const r = await t.http('POST', '/api/auth/wechat', { body });
      return { ...r, sessionKey };
    },
  };
  return t;
}
