/**
 * Several server processes acting as one server under test: one fresh PostgreSQL database, one
 * Redis key prefix (and Socket.IO adapter channel), one token secret. Measured as the sum of
 * its nodes: CPU and RSS added up, the worst node's event-loop delay.
 */
import { randomBytes } from 'node:crypto';
import { deleteRedisKeys } from '../../packages/server/test/support/redis-keys.js';
import { createBenchDatabase } from './bench-database.js';
import { type ServerLaunch, ServerProcess } from './server-process.js';

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What scenarios need of a server under test (one process, or a cluster of them). */
export type BenchServer = Pick<
  ServerProcess,
  'baseUrl' | 'pid' | 'log' | 'cpuMs' | 'rssBytes' | 'memoryAfterGc' | 'startLoopDelay' | 'loopDelay' | 'metricsText' | 'startProfile' | 'stop'
> & {
  /** Every node's base URL (clients are spread over them); absent for one process. */
  readonly baseUrls?: string[];
  /** Each node's CPU ms so far (one entry for one process). */
  cpuMsByNode?(): number[];
  /** Every node's pid (perf stat counts them together); absent for one process. */
  readonly pids?: number[];
};

export class ClusterProcess implements BenchServer {
  private constructor(
    readonly nodes: ServerProcess[],
    private readonly cleanup: () => Promise<void>,
  ) {}

  /** Starts `nodes` processes of `launch` (one after another, so migrations never race) sharing a database and Redis. */
  static async start(launch: ServerLaunch, nodes: number): Promise<ClusterProcess> {
    const db = launch.database ? await createBenchDatabase(launch.database) : undefined;
    const prefix = `miniim_bench_${randomBytes(4).toString('hex')}:`;
    const env = {
      ...launch.env,
      ...(db ? { DATABASE_URL: db.url } : {}),
      REDIS_URL: BENCH_REDIS_URL,
      MINIIM_REDIS_PREFIX: prefix,
      BENCH_REDIS_KEY: prefix,
      MINIIM_TOKEN_SECRET: randomBytes(24).toString('base64url'),
    };
    const started: ServerProcess[] = [];
    const cleanup = async () => {
      await Promise.all(started.map((n) => n.stop()));
      await db?.drop().catch(() => {});
      await deleteRedisKeys(BENCH_REDIS_URL, prefix).catch(() => {});
    };
    try {
      for (let i = 0; i < nodes; i++) started.push(await ServerProcess.start({ entry: launch.entry, env, nodeArgs: launch.nodeArgs }));
    } catch (err) {
      await cleanup();
      throw err;
    }
    return new ClusterProcess(started, cleanup);
  }

  get baseUrl(): string {
    return this.nodes[0]!.baseUrl;
  }

  get baseUrls(): string[] {
    return this.nodes.map((n) => n.baseUrl);
  }

  get pid(): number {
    return this.nodes[0]!.pid;
  }

  get log(): string {
    return this.nodes.map((n, i) => `--- node ${i} ---\n${n.log}`).join('\n');
  }

  cpuMs(): number {
    return this.cpuMsByNode().reduce((a, b) => a + b, 0);
  }

  cpuMsByNode(): number[] {
    return this.nodes.map((n) => n.cpuMs());
  }

  rssBytes(): number {
    return this.nodes.reduce((s, n) => s + n.rssBytes(), 0);
  }

  async memoryAfterGc(): ReturnType<ServerProcess['memoryAfterGc']> {
    const all = await Promise.all(this.nodes.map((n) => n.memoryAfterGc()));
    if (all.some((m) => m === null)) return null;
    return all.reduce((a, m) => ({
      rss: a!.rss + m!.rss,
      heapUsed: a!.heapUsed + m!.heapUsed,
      heapTotal: a!.heapTotal + m!.heapTotal,
      external: a!.external + m!.external,
    }));
  }

  async startLoopDelay(): Promise<boolean> {
    return (await Promise.all(this.nodes.map((n) => n.startLoopDelay()))).every(Boolean);
  }

  async loopDelay(): ReturnType<ServerProcess['loopDelay']> {
    const all = await Promise.all(this.nodes.map((n) => n.loopDelay()));
    if (all.some((d) => d === null)) return null;
    return all.reduce((a, d) => (d!.p99Ms > a!.p99Ms ? d : a));
  }

  /** The first node's metrics (commit stages of a cluster are not summed). */
  metricsText(): Promise<string> {
    return this.nodes[0]!.metricsText();
  }

  get pids(): number[] {
    return this.nodes.map((n) => n.pid);
  }

  /** One CPU profile per node: `<file>` becomes `<file without .cpuprofile>-node<i>.cpuprofile`. */
  async startProfile(): Promise<{ stop(file: string): Promise<string[]> } | null> {
    const all = await Promise.all(this.nodes.map((n) => n.startProfile()));
    if (all.some((p) => p === null)) {
      await Promise.all(all.map((p) => p?.stop('/dev/null')));
      return null;
    }
    return {
      async stop(file: string) {
        const written = await Promise.all(all.map((p, i) => p!.stop(file.replace(/\.cpuprofile$/, `-node${i}.cpuprofile`))));
        return written.flat();
      },
    };
  }

  stop(): Promise<void> {
    return this.cleanup();
  }
}
