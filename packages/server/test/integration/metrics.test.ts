/**
 * Metrics that explain the message path (issue 17 item 4): what a send, a delivery, a socket
 * and an upload add to /metrics; who may read /metrics (token, separate listener, off); and
 * that every expression of the Grafana dashboard names a metric the server exports.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/server-config.js';
import { startCluster } from '../support/cluster.js';
import { rawMultipartUpload } from '../support/media-http.js';
import { samplePng } from '../support/media-samples.js';
import { redisAvailable } from '../support/redis.js';
import { httpJson, startServer, TestClient, type TestServer, until } from '../support/server.js';
import { startWechatServer } from '../support/wechat-server.js';

const REPO = path.resolve(import.meta.dirname, '../../../..');

/** The value of one series in Prometheus text (`name{a="b"}`), 0 when absent. */
function series(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const [head, value] = [line.slice(0, line.lastIndexOf(' ')), line.slice(line.lastIndexOf(' ') + 1)];
    if (Object.entries(labels).every(([k, v]) => head.includes(`${k}="${v}"`))) return Number(value);
  }
  return 0;
}

async function metricsText(s: TestServer): Promise<string> {
  const r = await s.http('GET', '/metrics');
  expect(r.status).toBe(200);
  return r.body as string;
}

/** Metric names from the `# TYPE` lines of a scrape. */
function exportedNames(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

describe('message-path metrics', () => {
  it('counts sends by transport, kind and outcome, ack, delivery and commit times, sockets by platform', async () => {
    const s = await startServer();
    const bobToken = await s.login('bob');
    const token = await s.login('alice');
    const a = await TestClient.connect(`${s.wsUrl}?token=${token}`, { headers: { origin: s.url } });
    const b = await TestClient.connect(`${s.wsUrl}?token=${bobToken}`, { headers: { 'user-agent': 'Mozilla/5.0 MicroMessenger/8.0 miniProgram' } });
    const c = await TestClient.connect(`${s.wsUrl}?token=${bobToken}`);
    let text = await metricsText(s);
    expect(series(text, 'miniim_sockets', { transport: 'ws', platform: 'browser' })).toBe(1);
    expect(series(text, 'miniim_sockets', { platform: 'wechat' })).toBe(1);
    expect(series(text, 'miniim_sockets', { platform: 'other' })).toBe(1);

    const send = { op: 'send', to: 'u:bob', clientMsgId: 'm1', kind: 'text', body: { text: 'hi' } };
    expect((await a.request(send)).op).toBe('ack');
    expect((await a.request(send)).op).toBe('ack'); // resend: duplicate
    expect((await a.request({ ...send, to: 'u:nobody', clientMsgId: 'm2' })).code).toBe('not_found');
    expect((await s.http('POST', '/api/messages', { token, body: { ...send, clientMsgId: 'm3', kind: 'custom', body: { x: 1 } } })).status).toBe(200);
    await b.waitFor((f) => f.op === 'msg' && f.msg.clientMsgId === 'm3');

    text = await metricsText(s);
    expect(series(text, 'miniim_sends_total', { transport: 'ws', kind: 'text', outcome: 'ok' })).toBe(1);
    expect(series(text, 'miniim_sends_total', { transport: 'ws', kind: 'text', outcome: 'duplicate' })).toBe(1);
    expect(series(text, 'miniim_sends_total', { transport: 'ws', kind: 'text', outcome: 'not_found' })).toBe(1);
    expect(series(text, 'miniim_sends_total', { transport: 'http', kind: 'custom', outcome: 'ok' })).toBe(1);
    expect(series(text, 'miniim_messages_total')).toBe(2);
    expect(series(text, 'miniim_ack_seconds_count', { transport: 'ws' })).toBe(2);
    expect(series(text, 'miniim_ack_seconds_count', { transport: 'http' })).toBe(1);
    expect(series(text, 'miniim_ack_seconds_bucket', { transport: 'ws', le: '+Inf' })).toBe(2);
    // Two messages pushed on this node (one publish each, delivered to bob's sockets).
    expect(series(text, 'miniim_delivery_seconds_count')).toBe(2);
    expect(series(text, 'miniim_storage_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(series(text, 'miniim_commit_batch_size_sum')).toBe(3); // two new messages and the resend's lookup
    expect(series(text, 'miniim_storage_batches_in_flight')).toBe(0);
    expect(series(text, 'miniim_frames_in_total')).toBe(3);
    expect(text).toMatch(/^miniim_nodejs_eventloop_lag_seconds \d/m);

    c.close();
    await until(async () => series(await metricsText(s), 'miniim_sockets', { platform: 'other' }) === 0, 5000, 'socket gauge down');
  });

  it('counts upload bytes by kind', async () => {
    const s = await startServer();
    const token = await s.login('alice');
    const png = samplePng(8, 8);
    const r = await rawMultipartUpload({ port: s.port, head: png, fileSize: png.length, token });
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe('image');
    expect(series(await metricsText(s), 'miniim_upload_bytes_total', { kind: 'image' })).toBe(png.length);
  });

  it('counts WeChat API calls by endpoint and errcode, and moderation verdicts', async () => {
    const t = await startWechatServer({ overrides: { moderation: { wechat: { enabled: true } } } });
    expect((await t.wxLogin('openid-m1')).status).toBe(200);
    t.fake.enqueue('jscode2session', { json: { errcode: 40029, errmsg: 'invalid code' } });
    expect((await t.wxLogin('openid-m2')).status).toBe(401);
    const token = (await t.wxLogin('openid-m3')).body.token as string;
    await t.devLogin('bob');
    const a = await t.connect(token);
    expect((await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'w1', kind: 'text', body: { text: 'hello' } })).op).toBe('ack');
    expect((await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'w2', kind: 'text', body: { text: 'a risky-word' } })).code).toBe('content_rejected');
    const text = (await t.http('GET', '/metrics')).body as string;
    expect(series(text, 'miniim_wechat_api_calls_total', { endpoint: 'code2Session', errcode: '0' })).toBe(2);
    expect(series(text, 'miniim_wechat_api_calls_total', { endpoint: 'code2Session', errcode: '40029' })).toBe(1);
    expect(series(text, 'miniim_wechat_api_calls_total', { endpoint: 'msgSecCheck', errcode: '0' })).toBe(2);
    expect(series(text, 'miniim_moderation_verdicts_total', { stage: 'wechat', verdict: 'pass' })).toBe(1);
    expect(series(text, 'miniim_moderation_verdicts_total', { stage: 'wechat', verdict: 'risky' })).toBe(1);
    expect(series(text, 'miniim_sends_total', { kind: 'text', outcome: 'content_rejected' })).toBe(1);
  });

  it('counts bus records and lag between two nodes on Redis', async (ctx) => {
    if (!(await redisAvailable())) return ctx.skip();
    const [n1, n2] = await startCluster(2);
    const bob = await n2!.connect(await n2!.login('bob'));
    const alice = await n1!.connect(await n1!.login('alice'));
    expect((await alice.request({ op: 'send', to: 'u:bob', clientMsgId: 'x1', kind: 'text', body: { text: 'across' } })).op).toBe('ack');
    await bob.waitFor((f) => f.op === 'msg');
    const t1 = await metricsText(n1!);
    const t2 = await metricsText(n2!);
    expect(series(t1, 'miniim_bus_published_total', { record: 'delivery' })).toBeGreaterThanOrEqual(1);
    expect(series(t2, 'miniim_bus_received_total', { record: 'delivery' })).toBeGreaterThanOrEqual(1);
    expect(series(t2, 'miniim_bus_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(series(t2, 'miniim_delivery_seconds_count')).toBeGreaterThanOrEqual(1);
    // The sending node holds no socket of bob's (and alice's own got the ack): no delivery observed there.
    expect(series(t1, 'miniim_delivery_seconds_count')).toBe(0);
    expect(series(t1, 'miniim_bus_degraded')).toBe(0);
  });
});

describe('who may read /metrics', () => {
  it('with MINIIM_METRICS_TOKEN: only that bearer (or the admin token), loopback included', async () => {
    const token = 'm'.repeat(24);
    const admin = 'a'.repeat(24);
    const s = await startServer({ metricsToken: token, adminToken: admin });
    expect((await s.http('GET', '/metrics')).status).toBe(404);
    expect((await s.http('GET', '/metrics', { token: 'x'.repeat(24) })).status).toBe(404);
    expect((await s.http('GET', '/metrics', { token })).status).toBe(200);
    expect((await s.http('GET', '/metrics', { token: admin })).status).toBe(200);
  });

  it('with MINIIM_METRICS_PORT: served on its own listener only', async () => {
    const s = await startServer({ metricsPort: 0 });
    expect((await s.http('GET', '/metrics')).status).toBe(404);
    const port = s.metricsPort!;
    const r = await httpJson(`http://127.0.0.1:${port}`, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/miniim_sends_total|miniim_messages_total/);
    expect((await httpJson(`http://127.0.0.1:${port}`, 'GET', '/api/me')).status).toBe(404);
  });

  it('with MINIIM_METRICS=0: not served', async () => {
    const s = await startServer({ metrics: false });
    expect((await s.http('GET', '/metrics')).status).toBe(404);
    const token = await s.login('alice');
    await s.login('bob');
    const a = await s.connect(token);
    expect((await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'o1', kind: 'text', body: { text: 'off' } })).op).toBe('ack');
  });

  it('refuses contradictory settings at start, naming the variable', () => {
    const load = (env: Record<string, string>) => () => loadServerConfig(env);
    expect(load({ MINIIM_METRICS_TOKEN: 'short' })).toThrow(/MINIIM_METRICS_TOKEN: must be at least 16/);
    expect(load({ MINIIM_METRICS_HOST: '0.0.0.0' })).toThrow(/MINIIM_METRICS_HOST: needs MINIIM_METRICS_PORT/);
    expect(load({ PORT: '9000', MINIIM_METRICS_PORT: '9000' })).toThrow(/MINIIM_METRICS_PORT: must differ from PORT/);
    expect(load({ MINIIM_METRICS: '0', MINIIM_METRICS_PORT: '9100' })).toThrow(/MINIIM_METRICS_PORT: metrics are off/);
    expect(load({ MINIIM_METRICS_PUBLIC: '1', MINIIM_METRICS_TOKEN: 't'.repeat(16) })).toThrow(/MINIIM_METRICS_PUBLIC/);
    expect(load({ MINIIM_METRICS: 'maybe' })).toThrow(/MINIIM_METRICS/);
    expect(loadServerConfig({ MINIIM_METRICS_PORT: '9100', MINIIM_METRICS_HOST: '0.0.0.0' })).toMatchObject({ metricsPort: 9100, metricsHost: '0.0.0.0' });
  });
});

describe('Grafana dashboard (deploy/grafana/miniim.json)', () => {
  it('is a dashboard whose every expression names metrics this server exports', async () => {
    const dash = JSON.parse(readFileSync(path.join(REPO, 'deploy/grafana/miniim.json'), 'utf8'));
    expect(dash).toMatchObject({ title: 'MiniIM', uid: 'miniim', schemaVersion: expect.any(Number) });
    // A server with WeChat and moderation on registers every metric family there is.
    const t = await startWechatServer({ overrides: { moderation: { wechat: { enabled: true } } } });
    const names = exportedNames((await t.http('GET', '/metrics')).body as string);
    const exprs: string[] = dash.panels.flatMap((p: { targets?: Array<{ expr: string }> }) => (p.targets ?? []).map((x) => x.expr));
    expect(exprs.length).toBeGreaterThan(20);
    const unknown: string[] = [];
    for (const expr of exprs) {
      const used = [...expr.matchAll(/\bminiim_[a-z0-9_]+/g)].map((m) => m[0]);
      expect(used.length, expr).toBeGreaterThan(0);
      for (const name of used) {
        const family = name.replace(/_(bucket|sum|count)$/, '');
        if (!names.has(name) && !names.has(family)) unknown.push(`${name} in ${expr}`);
      }
    }
    expect(unknown).toEqual([]);
    // Every panel has a unique id and a place on the grid.
    const ids = dash.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dash.panels) expect(p.gridPos).toMatchObject({ h: expect.any(Number), w: expect.any(Number) });
  });
});
