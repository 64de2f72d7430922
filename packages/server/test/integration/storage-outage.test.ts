/**
 * The database going away, on the network backends: unreachable at start → one line naming
 * the URL (password redacted) and exit 1; lost mid-run (a TCP proxy in front of it is cut
 * and refuses new connections) → sends answer `unavailable`, /readyz is 503, nothing is
 * half-written; the proxy heals → service resumes by itself, seqs carry on gap-free.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { TcpProxy } from '../../../sdk/test/support/chaos/tcp-proxy.js';
import { freshDatabase, type NetworkBackend, SERVICE_URLS, serviceAvailable } from '../support/databases.js';
import { runServerExpectingFailure } from '../support/process.js';
import { onCleanup, startServer } from '../support/server.js';

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const backend of ['postgres', 'mysql'] as NetworkBackend[]) {
  const available = await serviceAvailable(backend);
  describe.skipIf(!available)(`${backend} outage`, () => {
    it('refuses to start against an unreachable database: one line naming the URL without its password, exit 1', async () => {
      const port = await closedPort();
      const url = `${backend}://miniim:s3cret-pass@127.0.0.1:${port}/miniim`;
      const r = await runServerExpectingFailure({ DATABASE_URL: url, MINIIM_DB_CONNECT_TIMEOUT_MS: '2000' });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${backend}://miniim:***@127.0.0.1:${port}/miniim`);
      expect(r.stderr).not.toContain('s3cret-pass');
    });

    it('answers unavailable while the database is away (503 / WS error, /readyz 503), writes nothing half, and resumes by itself', async () => {
      const direct = new URL(await freshDatabase(backend));
      const proxy = new TcpProxy(() => Number(new URL(SERVICE_URLS[backend]).port));
      await proxy.listen();
      onCleanup(() => proxy.close());
      direct.port = String(proxy.port);
      const s = await startServer({ databaseUrl: direct.toString(), dbConnectTimeoutMs: 1000 });
      const ta = await s.login('alice');
      await s.login('bob');
      const a = await s.connect(ta);
      expect(await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'c1', kind: 'text', body: { text: '一' } })).toMatchObject({ op: 'ack', msg: { seq: 1 } });

      proxy.refuse();
      proxy.cut();
      const ws = await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'c2', kind: 'text', body: { text: '二' } });
      expect(ws).toMatchObject({ op: 'error', code: 'unavailable' });
      const http = await s.http('POST', '/api/messages', { token: ta, body: { to: 'u:bob', clientMsgId: 'c3', kind: 'text', body: { text: '三' } } });
      expect(http.status).toBe(503);
      expect(http.body.error.code).toBe('unavailable');
      expect((await s.http('GET', '/readyz')).status).toBe(503);
      expect((await s.http('GET', '/api/conversations', { token: ta })).status).toBe(503);

      proxy.heal();
      await until('/readyz to answer 200', async () => (await s.http('GET', '/readyz')).status === 200, 10_000);
      expect(await a.request({ op: 'send', to: 'u:bob', clientMsgId: 'c2', kind: 'text', body: { text: '二' } })).toMatchObject({ op: 'ack', msg: { seq: 2 } });
      const h = await s.http('GET', '/api/conversations/d:alice:bob/messages?limit=10', { token: ta });
      expect(h.status).toBe(200);
      expect(h.body.messages.map((m: { seq: number; body: { text: string } }) => [m.seq, m.body.text])).toEqual([
        [1, '一'],
        [2, '二'],
      ]);
    }, 30_000);
  });
}
