/** Starts a real MiniIM server on port 0 for SDK tests, with teardown registered. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createServer } from '../../../server/src/index.js';

export interface TestServer {
  baseUrl: string;
  port: number;
  dataDir: string;
  /** Dev login; returns the token. */
  login(userId: string, nickname?: string): Promise<string>;
  http(method: string, urlPath: string, opts?: { token?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  /** Stops the server gracefully (sockets close with 1012). */
  stop(): Promise<void>;
  /** Starts a new server on the same port and data dir. */
  restart(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** Registers a cleanup to run after the current test. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(async () => {
    await fn();
  });
}

export async function startServer(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'miniim-sdk-'));
  const base = { host: '127.0.0.1', dataDir, devLogin: true, logLevel: 'silent', ...overrides };
  let server = await createServer({ overrides: { ...base, port: 0 }, env: {} });
  const { port } = await server.listen();
  let running = true;
  const baseUrl = `http://127.0.0.1:${port}`;
  const t: TestServer = {
    baseUrl,
    port,
    dataDir,
    async login(userId, nickname) {
      const r = await t.http('POST', '/api/auth/dev', { body: { userId, nickname: nickname ?? userId } });
      if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async http(method, urlPath, opts = {}) {
      const headers: Record<string, string> = {};
      if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(baseUrl + urlPath, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      if (!running) return;
      running = false;
      await server.close();
    },
    async restart() {
      await t.stop();
      server = await createServer({ overrides: { ...base, port }, env: {} });
      await server.listen();
      running = true;
    },
  };
  onCleanup(async () => {
    await t.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return t;
}

/** Waits until `check` returns true (polling), or throws with `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
