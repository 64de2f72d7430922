/**
 * Test helpers: a real MiniIM server on port 0 with teardown registered, and a
 * small WebSocket client that correlates replies by rid and waits for pushes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { createServer, type MiniImServer } from '../../src/app.js';
import { freshDatabase, type NetworkBackend } from './databases.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Registers a teardown step that runs after the current test. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export function tempDir(prefix = 'miniim-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestServer {
  server: MiniImServer;
  port: number;
  url: string;
  wsUrl: string;
  dataDir: string;
  /** The separate metrics listener's port (MINIIM_METRICS_PORT), when configured. */
  metricsPort?: number;
  /** Dev-logs in (creating the user) and returns the token. */
  login(userId: string, nickname?: string): Promise<string>;
  /** Opens an authenticated socket and waits for `hello`. */
  connect(token: string): Promise<TestClient>;
  http(
    method: string,
    route: string,
    opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
}

/**
 * MINIIM_TEST_STORAGE=postgres|mysql runs every server of the integration tests on a fresh
 * database of that service (one per data dir, so a restart on the same dir finds its data).
 */
const TEST_STORAGE = process.env.MINIIM_TEST_STORAGE as NetworkBackend | undefined;
if (TEST_STORAGE !== undefined && TEST_STORAGE !== 'postgres' && TEST_STORAGE !== 'mysql') {
  throw new Error(`MINIIM_TEST_STORAGE must be postgres or mysql, not ${TEST_STORAGE}`);
}
const databaseByDir = new Map<string, string>();

/** `{ databaseUrl }` of the test database for `dir` when MINIIM_TEST_STORAGE is set, else `{}` (SQLite in the dir). */
export async function testStorage(dir: string): Promise<{ databaseUrl?: string }> {
  if (!TEST_STORAGE) return {};
  let url = databaseByDir.get(dir);
  if (!url) {
    url = await freshDatabase(TEST_STORAGE);
    databaseByDir.set(dir, url);
    onCleanup(() => {
      databaseByDir.delete(dir);
    });
  }
  return { databaseUrl: url };
}

export async function startServer(overrides: Record<string, unknown> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? tempDir();
  const storage = 'databaseUrl' in overrides ? {} : await testStorage(dir);
  const server = await createServer({
    env: {},
    overrides: { port: 0, host: '127.0.0.1', dataDir: dir, devLogin: true, logLevel: 'silent', ...storage, ...overrides },
  });
  const { port, metricsPort } = await server.listen();
  onCleanup(() => server.close());
  const url = `http://127.0.0.1:${port}`;
  const t: TestServer = {
    server,
    port,
    metricsPort,
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    dataDir: dir,
    async login(userId, nickname) {
      const r = await t.http('POST', '/api/auth/dev', { body: nickname ? { userId, nickname } : { userId } });
      if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
      return r.body.token;
    },
    connect: (token) => TestClient.connect(`${url.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}`),
    http: (method, route, opts = {}) => httpJson(url, method, route, opts),
  };
  return t;
}

export async function httpJson(
  base: string,
  method: string,
  route: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(base + route, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

type Frame = Record<string, any>;

/** A WebSocket client for tests: every received frame is kept; waits are bounded. */
export class TestClient {
  readonly frames: Frame[] = [];
  hello!: Frame;
  closeCode: number | null = null;
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private closeWaiters: Array<(code: number) => void> = [];
  private ridSeq = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Frame;
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => {
        if (w.pred(f)) {
          w.resolve(f);
          return false;
        }
        return true;
      });
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      for (const w of this.closeWaiters) w(code);
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    const c = new TestClient(ws);
    onCleanup(() => c.close());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    c.hello = await c.waitFor((f) => f.op === 'hello');
    return c;
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  send(frame: Frame): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a frame with a fresh rid and resolves with the reply (ack, error or the op's answer) or rejects after timeoutMs. */
  request(frame: Frame, timeoutMs = 5000): Promise<Frame> {
    const rid = frame.rid ?? `r${++this.ridSeq}`;
    const reply = this.waitFor((f) => f.rid === rid && f.op !== 'msg', timeoutMs);
    this.send({ ...frame, rid });
    return reply;
  }

  /** Waits for a frame (already received or future) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return this.next(pred, timeoutMs);
  }

  /** Waits for a future frame matching `pred`. */
  next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(-3))}`));
      }, timeoutMs);
      const done = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  waitClose(timeoutMs = 5000): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for close')), timeoutMs);
      this.closeWaiters.push((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  msgs(conv?: string): Frame[] {
    return this.frames.filter((f) => f.op === 'msg' && (!conv || f.msg.conv === conv)).map((f) => f.msg);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** Resolves when `fn` returns truthy, polling; rejects after `timeoutMs`. */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
