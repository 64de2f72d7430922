/** Orchestrator side of the generator: forks worker processes and talks to them over IPC. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ClientSpec } from '../gen/bench-client.js';
import { repoRoot, spawnNode } from './spawn-node.js';

interface Reply {
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: string;
  ev?: string;
  [k: string]: unknown;
}

export class WorkerPool {
  private readonly procs: ChildProcess[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  /** Handler for unsolicited worker events (`{ev, ...}`), with the worker index. */
  onEvent: (worker: number, ev: Reply) => void = () => {};
  readonly stderr: string[] = [];

  /** Set once any worker process has exited (the pool must then be replaced). */
  exited = false;

  private constructor(readonly size: number) {}

  /** Starts `size` worker processes; call `setup` to point them at a server. */
  static start(size: number): WorkerPool {
    const pool = new WorkerPool(size);
    for (let i = 0; i < size; i++) {
      const p = spawnNode(join(repoRoot, 'bench/gen/worker.ts'), { ipc: true });
      p.stderr?.on('data', (d: Buffer) => {
        const s = d.toString();
        if (pool.stderr.length < 50) pool.stderr.push(s);
      });
      p.stdout?.resume();
      p.on('message', (m: Reply) => {
        if (m.ev) return pool.onEvent(i, m);
        const w = m.id !== undefined ? pool.waiting.get(m.id) : undefined;
        if (!w) return;
        pool.waiting.delete(m.id!);
        if (m.ok) w.resolve(m.result);
        else w.reject(new Error(`worker ${i}: ${m.error}`));
      });
      p.on('exit', (code) => {
        pool.exited = true;
        for (const w of pool.waiting.values()) w.reject(new Error(`worker ${i} exited with ${code}: ${pool.stderr.join('')}`));
        pool.waiting.clear();
      });
      pool.procs.push(p);
    }
    return pool;
  }

  /** Drops every connection of the previous target and points the workers at a new server. */
  async setup(spec: ClientSpec, sourceAddrs: string[]): Promise<void> {
    this.onEvent = () => {};
    // Each worker gets its own slice of source addresses so sockets spread over many 4-tuples.
    await Promise.all(
      this.procs.map((_, i) => {
        const mine = sourceAddrs.filter((_, k) => k % this.size === i);
        return this.request(i, 'setup', { spec, sourceAddrs: mine.length > 0 ? mine : sourceAddrs });
      }),
    );
  }

  request<T = unknown>(worker: number, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.procs[worker].send({ id, cmd, args });
    });
  }

  /** Sends the same command to every worker, with per-worker arguments. */
  all<T = unknown>(cmd: string, args: (i: number) => Record<string, unknown> = () => ({})): Promise<T[]> {
    return Promise.all(this.procs.map((_, i) => this.request<T>(i, cmd, args(i))));
  }

  /** Total CPU time (ms) the workers used so far. */
  async cpuMs(): Promise<number> {
    const r = await this.all<{ user: number; system: number }>('cpu');
    return r.reduce((s, c) => s + (c.user + c.system) / 1000, 0);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.procs.map((_, i) => this.request(i, 'close')));
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
  }
}
