/**
 * Safe defaults for what a browser or a stranger on the network sees: security headers,
 * CSP, CORS off by default, the WebSocket Origin allow-list, /metrics and source maps
 * private in production, X-Forwarded-* believed only from configured proxies; and the
 * small defects of issue 14 item 7.
 */
import { statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { samplePng } from '../support/media-samples.js';
import { spawnServer } from '../support/process.js';
import { httpJson, startServer, tempDir } from '../support/server.js';

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => {});
  });
}

async function upload(base: string, token: string | undefined, file: Buffer, headers: Record<string, string> = {}) {
  const fd = new FormData();
  fd.append('file', new Blob([new Uint8Array(file)], { type: 'image/png' }), 'a.png');
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: fd, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { status: res.status, body: (await res.json()) as any };
}

describe('security headers, CORS, origins', () => {
  it('the page and the API carry CSP, nosniff, frame-ancestors none and a referrer policy', async () => {
    const s = await startServer({ mediaAllowHosts: ['cdn.example.com'], publicBaseUrl: 'https://im.example.com' });
    for (const route of ['/', '/healthz']) {
      const res = await fetch(s.url + route);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/img-src [^;]*https:\/\/cdn\.example\.com/);
      expect(csp).toMatch(/media-src [^;]*https:\/\/im\.example\.com/);
      expect(csp).toMatch(/connect-src [^;]*'self'[^;]*wss:\/\/im\.example\.com/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      await res.arrayBuffer();
    }
  });

  it('CORS is off by default and on for configured origins only', async () => {
    const preflight = { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } };
    const off = await startServer();
    const r1 = await fetch(`${off.url}/api/messages`, preflight);
    expect(r1.headers.get('access-control-allow-origin')).toBeNull();
    const on = await startServer({ corsOrigins: ['https://app.example'] });
    const r2 = await fetch(`${on.url}/api/messages`, preflight);
    expect(r2.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const r3 = await fetch(`${on.url}/api/messages`, { ...preflight, headers: { ...preflight.headers, origin: 'https://evil.example' } });
    expect(r3.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('WebSocket upgrades from a foreign browser origin are refused with 403; no Origin and the own origin pass', async () => {
    const s = await startServer({ allowedOrigins: ['https://app.example'] });
    const url = `${s.wsUrl}?token=${encodeURIComponent(await s.login('alice'))}`;
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(url)).toBe(101);
    expect(await upgradeStatus(url, { origin: s.url })).toBe(101);
    expect(await upgradeStatus(url, { origin: 'https://app.example' })).toBe(101);
  });

  it('in production /metrics answers only loopback or the admin token, and source maps are not served', async () => {
    const ip = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    const admin = 'a'.repeat(32);
    const s = await startServer({
      production: true,
      host: '0.0.0.0',
      devLogin: false,
      tokenSecret: 'x'.repeat(32),
      mediaSignedUrlSecret: 'm'.repeat(32),
      adminToken: admin,
    });
    expect((await s.http('GET', '/metrics')).status).toBe(200); // loopback
    expect((await s.http('GET', '/app.js.map')).status).toBe(404);
    expect((await s.http('GET', '/app.js')).status).toBe(200);
    if (!ip) {
      console.warn('SKIPPED: no non-loopback IPv4 address to test /metrics from');
      return;
    }
    const base = `http://${ip}:${s.port}`;
    expect((await httpJson(base, 'GET', '/metrics')).status).toBe(404);
    expect((await httpJson(base, 'GET', '/metrics', { token: admin })).status).toBe(200);
  });
});

describe('small defects (issue 14 item 7)', () => {
  it('a body nested 5,000 deep is bad_request over HTTP and WS, not internal', async () => {
    const s = await startServer();
    await s.login('bob');
    const token = await s.login('alice');
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const r = await s.http('POST', '/api/messages', { token, raw: `{"to":"u:bob","clientMsgId":"d1","kind":"custom","body":${deep}}` });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/nest/) });
    const a = await s.connect(token);
    a.sendRaw(`{"op":"send","rid":"d2","to":"u:bob","clientMsgId":"d2","kind":"custom","body":${deep}}`);
    expect(await a.waitFor((f) => f.rid === 'd2')).toMatchObject({ op: 'error', code: 'bad_request' });
    const ok = await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'd3', kind: 'custom', body: { a: { b: { c: [1, [2]] } } } });
    expect(ok.op).toBe('ack');
  });

  it('a token whose signature is spelled another way (same bytes) is refused', async () => {
    const s = await startServer();
    const token = await s.login('alice');
    const [data, sig] = token.split('.') as [string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 32 bytes = 43 chars: the last char's two low bits are padding; flipping them keeps the bytes.
    const last = alphabet.indexOf(sig.at(-1)!);
    const variants = [`${sig.slice(0, -1)}${alphabet[last ^ 1]}`, `${sig}=`, sig.replace(/-/g, '+').replace(/_/g, '/')].filter((v) => v !== sig);
    expect(Buffer.from(variants[0]!, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
    for (const v of variants) {
      expect((await s.http('GET', '/api/me', { token: `${data}.${v}` })).status).toBe(401);
    }
    expect((await s.http('GET', '/api/me', { token })).status).toBe(200);
  });

  it('data files are created 0600 and the data dir 0700', async () => {
    const dir = path.join(tempDir(), 'data');
    const s = await startServer({}, dir);
    const token = await s.login('alice');
    expect((await upload(s.url, token, samplePng(4, 4))).status).toBe(200);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) expect([f.name, statSync(path.join(f.parentPath, f.name)).mode & 0o777]).toEqual([f.name, 0o600]);
  });

  it('X-Forwarded-Host is believed only from a configured proxy', async () => {
    const s = await startServer();
    const token = await s.login('alice');
    const forged = await upload(s.url, token, samplePng(4, 4), { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    expect(forged.status).toBe(200);
    expect(forged.body.url).not.toContain('evil.example');
    const proxied = await startServer({ trustProxy: ['127.0.0.1'] });
    const t2 = await proxied.login('alice');
    const viaProxy = await upload(proxied.url, t2, samplePng(4, 4), { 'x-forwarded-host': 'im.example.com', 'x-forwarded-proto': 'https' });
    expect(viaProxy.body.url).toMatch(/^https:\/\/im\.example\.com\//);
  });

  it('a bad typing frame is answered with error bad_request (documented); a good one has no reply', async () => {
    const s = await startServer();
    await s.login('bob');
    const a = await s.connect(await s.login('alice'));
    a.send({ op: 'typing', rid: 't1' });
    expect(await a.waitFor((f) => f.rid === 't1')).toMatchObject({ op: 'error', code: 'bad_request' });
    a.send({ op: 'typing', to: 'u:bob' });
    expect(await a.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
    expect(a.frames.filter((f) => f.op === 'error')).toHaveLength(1);
  });

  it('an upload refused before its body is read reaches a separate-process client as a clean 401 / 413', async () => {
    const p = await spawnServer({ MINIIM_DATA_DIR: tempDir() });
    const token = (await httpJson(p.url, 'POST', '/api/auth/dev', { body: { userId: 'alice' } })).body.token;
    for (const size of [100, 30_000, 3_000_000]) {
      for (let i = 0; i < 3; i++) expect((await upload(p.url, undefined, Buffer.alloc(size))).status).toBe(401);
    }
    // 30 MB declared: over every per-kind limit (25 MB), refused by its header.
    const big = await upload(p.url, token, Buffer.alloc(30_000_000));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too_large');
  }, 60_000);
});
