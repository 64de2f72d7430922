/**
 * deploy/nginx/miniim.conf: `nginx -t` accepts it, and a real nginx running it in front of two
 * real MiniIM nodes serves the API over HTTP/2 with TLS, upgrades wss, redirects http, and hands
 * the client's address and host to nodes that trust it (MINIIM_TRUST_PROXY).
 */

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { samplePng } from '../../packages/server/test/support/media-samples.js';
import { startServer, TestClient } from '../../packages/server/test/support/server.js';
import { findNginx, freePort, NGINX_CONF, preparePrefix, type RunningNginx, startNginx, testConfig } from './support/nginx.js';

const nginx = findNginx();
if (!nginx) {
  const msg = 'nginx is not installed: the nginx config tests are SKIPPED (apt-get install nginx; .ci/run does)';
  if (process.env.MINIIM_REQUIRE_SERVICES === '1') throw new Error(`${msg} — and MINIIM_REQUIRE_SERVICES=1`);
  console.warn(`\n!!! ${msg}\n`);
}

const running: RunningNginx[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
  while (prefixes.length) rmSync(prefixes.pop()!, { recursive: true, force: true });
});

async function ports() {
  return { httpsPort: await freePort(), httpPort: await freePort() };
}

/** One HTTP/2 request with the test certificate; resolves with status, negotiated protocol and body. */
function h2(
  base: string,
  ca: string,
  headers: http2.OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<{ status: number; alpn: string | false; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(base, { ca });
    session.once('error', reject);
    const req = session.request(headers);
    let out = '';
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (d) => (out += d));
    req.on('end', () => {
      const alpn = session.alpnProtocol ?? false;
      session.close();
      resolve({ status, alpn, body: out });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(!nginx)('deploy/nginx/miniim.conf', () => {
  it('passes nginx -t (self-signed certificate, temporary prefix, no root needed)', async () => {
    const prefix = preparePrefix({ upstreams: ['127.0.0.1:8080', '127.0.0.1:8081'], ...(await ports()) });
    prefixes.push(prefix.dir);
    const r = testConfig(nginx!, prefix);
    expect(r.output).toMatch(/test is successful/);
    expect(r.ok).toBe(true);
    // The rendered config kept what matters (the renderer only swaps ports, paths and upstreams).
    const conf = readFileSync(`${prefix.dir}/miniim.conf`, 'utf8');
    expect(conf).toMatch(/listen 127\.0\.0\.1:\d+ ssl http2;/);
    expect(conf).toMatch(/proxy_read_timeout 75s;/);
  });

  it('(control) nginx -t refuses a broken copy of it', async () => {
    const broken = `${NGINX_CONF}.broken-${process.pid}`;
    writeFileSync(broken, readFileSync(NGINX_CONF, 'utf8').replace('proxy_read_timeout 75s;', 'proxy_read_timeout 75s'));
    try {
      const prefix = preparePrefix({ upstreams: ['127.0.0.1:8080'], ...(await ports()), source: broken });
      prefixes.push(prefix.dir);
      const r = testConfig(nginx!, prefix);
      expect(r.ok).toBe(false);
    } finally {
      rmSync(broken, { force: true });
    }
  });

  it('fronts the nodes (one of them down, as during a restart): HTTP/2 API, wss gateway, http redirect, client host passed on', async () => {
    const node = await startServer({ trustProxy: ['127.0.0.1'] });
    const down = await freePort(); // a node that is restarting: nothing listens
    const p = await ports();
    const prefix = preparePrefix({ upstreams: [`127.0.0.1:${down}`, `127.0.0.1:${node.port}`], ...p });
    const ng = await startNginx(nginx!, prefix);
    running.push(ng);
    const ca = prefix.cert;
    const base = `https://localhost:${p.httpsPort}`;

    // HTTP/2 over TLS for the API; requests that hit the down node are passed to the next one.
    for (let i = 0; i < 4; i++) {
      const ready = await h2(base, ca, { ':path': '/readyz' });
      expect(ready.alpn).toBe('h2');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body).ok).toBe(true);
    }

    // Plain http answers with a redirect to https only.
    const redirect = await new Promise<{ status?: number; location?: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: p.httpPort, path: '/api/x?y=1', headers: { host: 'im.example.com' } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode, location: res.headers.location });
        })
        .on('error', reject);
    });
    expect(redirect).toEqual({ status: 301, location: 'https://im.example.com/api/x?y=1' });

    // wss through the proxy: login over HTTP/2, then the gateway's hello and a round trip.
    const login = await h2(base, ca, { ':method': 'POST', ':path': '/api/auth/dev', 'content-type': 'application/json' }, JSON.stringify({ userId: 'alice' }));
    expect(login.status).toBe(200);
    const token = JSON.parse(login.body).token as string;
    const client = await TestClient.connect(`wss://localhost:${p.httpsPort}/ws?token=${encodeURIComponent(token)}`, { ca });
    expect(client.hello.op).toBe('hello');
    await node.login('bob');
    const ack = await client.request({ op: 'send', to: 'u:bob', clientMsgId: 'c1', kind: 'text', body: { text: 'through nginx' } });
    expect(ack.op).toBe('ack');

    // Host and scheme as the client used them, believed because nginx is a configured proxy.
    const boundary = 'b0undary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.png"\r\ncontent-type: image/png\r\n\r\n`),
      samplePng(3, 3),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const up = await h2(
      base,
      ca,
      { ':method': 'POST', ':path': '/api/media', authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    );
    expect(up.status).toBe(200);
    expect(JSON.parse(up.body).url).toMatch(new RegExp(`^https://localhost:${p.httpsPort}/media/`));
  });

  it('sends every request to a live node while the nodes restart one after the other (no 502 from a node still marked failed)', async () => {
    // Two stand-in nodes on fixed ports; each restart is: the port refuses, then answers again.
    const [portA, portB] = [await freePort(), await freePort()];
    const listen = (port: number, name: string) =>
      new Promise<http.Server>((resolve) => {
        const srv = http.createServer((_req, res) => res.end(name));
        srv.keepAliveTimeout = 100;
        srv.listen(port, '127.0.0.1', () => resolve(srv));
      });
    const close = (srv: http.Server) => new Promise<void>((resolve) => srv.close(() => resolve()) && srv.closeAllConnections());
    const p = await ports();
    const prefix = preparePrefix({ upstreams: [`127.0.0.1:${portA}`, `127.0.0.1:${portB}`], ...p });
    const ng = await startNginx(nginx!, prefix);
    running.push(ng);
    const base = `https://localhost:${p.httpsPort}`;
    const get = async () => (await h2(base, prefix.cert, { ':path': '/readyz' })).status;

    // A restarts: B answers every request, and A's refusals are what nginx sees of it.
    let b = await listen(portB, 'B');
    for (let i = 0; i < 4; i++) expect(await get()).toBe(200);
    // A is back and B stops at once (pm2 reload, a deploy script): A must get the requests now.
    const a = await listen(portA, 'A');
    await close(b);
    for (let i = 0; i < 4; i++) expect(await get()).toBe(200);
    b = await listen(portB, 'B');
    await close(a);
    for (let i = 0; i < 4; i++) expect(await get()).toBe(200);
    await close(b);
  });
});
