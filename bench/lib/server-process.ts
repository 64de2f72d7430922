/**
 * Starts a server under test in its own process, waits until `/healthz` answers, and measures
 * it from outside: CPU and RSS from /proc, heap through the V8 inspector (after a forced GC).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** A fresh database on this service for the run, passed as DATABASE_URL (dropped on stop). */
  database?: BenchDatabase;
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
    const child = spawnNode(join(repoRoot, launch.entry), {
      nodeArgs: ['--inspect=127.0.0.1:0', ...(launch.nodeArgs ?? [])],
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
    if (!this.inspectorUrl) return null;
    const ws = new WebSocket(this.inspectorUrl, { perMessageDeflate: false });
    try {
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      let id = 0;
      const call = (method: string, params: Record<string, unknown> = {}) =>
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
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      const r = await call('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      });
      return JSON.parse((r.result as { value: string }).value);
    } catch {
      return null;
    } finally {
      ws.close();
    }
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
