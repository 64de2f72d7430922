/**
 * Starts a server under test in its own process, waits until `/healthz` answers, and measures
 * it from outside: CPU and RSS from /proc, heap through the V8 inspector (after a forced GC).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { type BenchDatabase, createBenchDatabase } from './bench-database.js';
import { procCpuMs, procRssBytes } from './proc-stats.js';
import { repoRoot, spawnNode } from './spawn-node.js';

/** Picks a free TCP port on 127.0.0.1 (the server gets it via `PORT`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** What a server needs to start. */
export interface ServerLaunch {
  entry: string;
  env: Record<string, string>;
  /** Extra node flags, e.g. `--cpu-prof` (BENCH_NODE_ARGS adds more, to every server). */
  nodeArgs?: string[];
  /** A fresh database on this service for the run, passed as DATABASE_URL (dropped on stop). */
  database?: BenchDatabase;
}

type InspectorCall = (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Evaluates `expression` (a string result) in the server; `require` is available (command-line API). */
async function evaluate(call: InspectorCall, expression: string): Promise<string> {
  const r = await call('Runtime.evaluate', { expression, returnByValue: true, includeCommandLineAPI: true });
  if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
  return (r.result as { value: string }).value;
}

export class ServerProcess {
  private output: string[] = [];
  private inspectorUrl?: string;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    private readonly dropDatabase?: () => Promise<void>,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Recent stdout/stderr lines, for error messages. */
  get log(): string {
    return this.output.join('').slice(-4000);
  }

  static async start(launch: ServerLaunch, timeoutMs = 60_000): Promise<ServerProcess> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'miniim-bench-'));
    const db = launch.database ? await createBenchDatabase(launch.database) : undefined;
    const child = spawnNode(resolve(repoRoot, launch.entry), {
      nodeArgs: ['--inspect=127.0.0.1:0', ...(launch.nodeArgs ?? []), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      env: {
        ...launch.env,
        ...(db ? { DATABASE_URL: db.url } : {}),
        PORT: String(port),
        HOST: '127.0.0.1',
        MINIIM_DATA_DIR: dataDir,
        BENCH_DATA_DIR: dataDir,
      },
    });
    const sp = new ServerProcess(child, port, dataDir, db?.drop);
    const collect = (d: Buffer) => {
      const s = d.toString();
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(s);
      if (m) sp.inspectorUrl = m[1];
      sp.output.push(s);
      if (sp.output.length > 200) sp.output.splice(0, 100);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server ${launch.entry} exited with ${child.exitCode}:\n${sp.log}`);
      if ((await httpStatus(`${sp.baseUrl}/healthz`)) === 200) return sp;
      await new Promise((r) => setTimeout(r, 100));
    }
    await sp.stop();
    throw new Error(`server ${launch.entry} not ready after ${timeoutMs} ms:\n${sp.log}`);
  }

  cpuMs(): number {
    return procCpuMs(this.pid);
  }

  rssBytes(): number {
    return procRssBytes(this.pid);
  }

  /** Forces a full GC in the server and returns `process.memoryUsage()` (null without inspector). */
  async memoryAfterGc(): Promise<{
    rss: number;
    heapUsed: number;
    heapTotal: number;
    external: number;
  } | null> {
    return this.inspect(async (call) => {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      return JSON.parse(await evaluate(call, 'JSON.stringify(process.memoryUsage())'));
    });
  }

  /**
   * Starts (or restarts) sampling the server's event-loop delay: `perf_hooks.monitorEventLoopDelay`
   * at 1 ms resolution, installed through the inspector, so it works for every server under test.
   */
  async startLoopDelay(): Promise<boolean> {
    const expr = `(() => { const h = (globalThis.__benchLoopDelay ??= require('node:perf_hooks').monitorEventLoopDelay({ resolution: 1 }));
      h.disable(); h.reset(); h.enable(); return 'ok'; })()`;
    return (await this.inspect((call) => evaluate(call, expr))) === 'ok';
  }

  /** Event-loop delay (ms) since `startLoopDelay()`, and stops sampling. */
  async loopDelay(): Promise<{ p50Ms: number; p99Ms: number; maxMs: number } | null> {
    const expr = `(() => { const h = globalThis.__benchLoopDelay; if (!h) return 'null'; h.disable();
      return JSON.stringify({ p50: h.percentile(50), p99: h.percentile(99), max: h.max, n: h.count }); })()`;
    const r = await this.inspect((call) => evaluate(call, expr));
    if (!r || r === 'null') return null;
    const v = JSON.parse(r) as { p50: number; p99: number; max: number; n: number };
    if (!v.n) return null;
    return { p50Ms: v.p50 / 1e6, p99Ms: v.p99 / 1e6, maxMs: v.max / 1e6 };
  }

  /** The server's `/metrics` text (MiniIM; empty when it does not answer). */
  metricsText(): Promise<string> {
    return new Promise((resolve) => {
      const req = get(`${this.baseUrl}/metrics`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve(res.statusCode === 200 ? body : ''));
      });
      req.on('error', () => resolve(''));
      req.setTimeout(5000, () => {
        req.destroy();
        resolve('');
      });
    });
  }

  /**
   * Starts V8's sampling profiler in the server over its own inspector session (100 µs interval);
   * `stop(file)` writes the `.cpuprofile` of just that window.
   */
  /** Profiles the server until `stop(file)`, which writes the profile and returns the files written ([] on error). */
  async startProfile(): Promise<{ stop(file: string): Promise<string[]> } | null> {
    const session = await this.openInspector();
    if (!session) return null;
    try {
      await session.call('Profiler.enable');
      await session.call('Profiler.setSamplingInterval', { interval: 100 });
      await session.call('Profiler.start');
    } catch {
      session.close();
      return null;
    }
    return {
      async stop(file: string) {
        try {
          const r = await session.call('Profiler.stop');
          writeFileSync(file, JSON.stringify(r.profile));
          return [file];
        } catch {
          return [];
        } finally {
          session.close();
        }
      },
    };
  }

  /** Runs `fn` over an inspector session of the server (null without inspector or on error). */
  private async inspect<T>(fn: (call: InspectorCall) => Promise<T>): Promise<T | null> {
    const session = await this.openInspector();
    if (!session) return null;
    try {
      return await fn(session.call);
    } catch {
      return null;
    } finally {
      session.close();
    }
  }

  private async openInspector(): Promise<{ call: InspectorCall; close(): void } | null> {
    if (!this.inspectorUrl) return null;
    const ws = new WebSocket(this.inspectorUrl, { perMessageDeflate: false });
    try {
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
    } catch {
      ws.close();
      return null;
    }
    let id = 0;
    const call: InspectorCall = (method, params = {}) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const myId = ++id;
        const onMsg = (data: WebSocket.RawData) => {
          const m = JSON.parse(data.toString());
          if (m.id !== myId) return;
          ws.off('message', onMsg);
          if (m.error) reject(new Error(JSON.stringify(m.error)));
          else resolve(m.result);
        };
        ws.on('message', onMsg);
        ws.send(JSON.stringify({ id: myId, method, params }));
      });
    return { call, close: () => ws.close() };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      const exited = await Promise.race([new Promise((r) => this.child.once('exit', () => r(true))), new Promise((r) => setTimeout(() => r(false), 5000))]);
      if (!exited) this.child.kill('SIGKILL');
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    await this.dropDatabase?.().catch(() => {});
  }
}
