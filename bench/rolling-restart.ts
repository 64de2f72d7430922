/**
 * `rolling-restart` scenario: N MiniIM nodes (production build, one PostgreSQL schema) behind a
 * local nginx running deploy/nginx/miniim.conf (TLS, wss), SDK clients under steady load, every
 * node restarted one by one with SIGTERM. Reports, per restart, how long the node was down, then
 * the time from the last node up until every client is connected with a store equal to the
 * server's history, messages lost/duplicated, logouts, token refreshes and logins.
 *
 *   npm run bench:rolling-restart -- [--nodes 2] [--clients 100] [--neighbours 1] [--workers 2] [--send-every-ms 500]
 *                                     [--steady-ms 2000] [--seed 18] [--sync-timeout-ms 60000] [--out bench/results]
 *
 * The clients run in `--workers` generator processes (bench/gen/rolling-restart-clients.ts), each a
 * block of users talking with `--neighbours` on each side of a ring, their sockets bound to 127.0.0.2–9 like
 * the rest of bench/ (more ephemeral ports). "In sync" is what the clients can tell: connected, every
 * acked send exactly once in its sender's and its recipient's store; then every store is compared
 * with the server's history. The nodes share the Redis bus (REDIS_URL, a fresh key prefix per run),
 * and nginx balances as the project's config does (`least_conn`), so clients spread over the nodes.
 *
 * A command of its own rather than a scenario of bench/run.ts: that runner starts one server per target
 * (MiniIM and the baselines) and drives it from a shared worker pool; this one needs several production
 * nodes, PostgreSQL, Redis and nginx, restarts them, and has no baseline. Its runs are listed in
 * docs/benchmarks.md by bench/lib/docs-writer.ts (every bench/results/rolling-restart-*.json).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findNginx, freePort, preparePrefix, startNginx } from '../deploy/test/support/nginx.js';
import type { LoadOptions, LoadReport, ReconnectTimeline } from '../deploy/test/support/sdk-load.js';
import { procCpuMs } from './lib/proc-stats.js';
import { repoRoot, spawnNode } from './lib/spawn-node.js';

const USAGE = `usage: npm run bench:rolling-restart -- [--nodes 2] [--clients 100] [--neighbours 1] [--workers 2]
         [--send-every-ms 500] [--steady-ms 2000] [--seed 18] [--sync-timeout-ms 60000] [--out bench/results]`;
const OPTIONS = new Set(['nodes', 'clients', 'neighbours', 'workers', 'send-every-ms', 'steady-ms', 'seed', 'sync-timeout-ms', 'out']);
// --help (or a misspelt option) prints the usage instead of starting a run with the defaults.
for (const a of process.argv.slice(2)) {
  if (a === '--help' || a === '-h') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (a.startsWith('--') && !OPTIONS.has(a.slice(2))) {
    process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
    process.exit(2);
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const NODES = arg('nodes', 2);
const CLIENTS = arg('clients', 100);
const PEERS = arg('neighbours', 1);
const WORKERS = Math.max(1, Math.min(arg('workers', 2), CLIENTS));
const SYNC_TIMEOUT_MS = arg('sync-timeout-ms', 60_000);
const SEND_EVERY_MS = arg('send-every-ms', 500);
/** Steady load before the first restart; its offered and acked rates are reported. */
const STEADY_MS = arg('steady-ms', 2000);
const SEED = arg('seed', 18);
const outIdx = process.argv.indexOf('--out');
const OUT = path.resolve(outIdx > 0 ? process.argv[outIdx + 1]! : path.join(repoRoot, 'bench/results'));
const PG_URL = process.env.MINIIM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.MINIIM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROF_DIR = process.env.RR_PROF_DIR;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stdout.write(`${s}\n`);

interface Node {
  port: number;
  dataDir: string;
  child?: ChildProcess;
}

async function pgAdmin(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

/** One generator process (bench/gen/rolling-restart-clients.ts) and its IPC requests. */
class Generator {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly child: ChildProcess;
  private stderr = '';

  constructor(readonly index: number) {
    this.child = spawnNode(path.join(repoRoot, 'bench/gen/rolling-restart-clients.ts'), { ipc: true });
    this.child.stdout?.resume();
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.ok) w?.resolve(m.result);
      else w?.reject(new Error(`generator ${index}: ${m.error}`));
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`generator ${index} exited with ${code}: ${this.stderr}`));
      this.waiting.clear();
    });
  }

  call<T>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...extra });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

/**
 * CPU time (ms) of this run's processes and of nginx, PostgreSQL and Redis, by kind. Every process is
 * sampled every 200 ms and keeps its last sample once it exited (a stopped node, a closed PostgreSQL
 * backend), so a delta counts the CPU each process used in between, up to its exit.
 */
class CpuBook {
  private readonly last = new Map<number, { kind: string; ms: number }>();
  private readonly timer = setInterval(() => this.sample(), 200);
  constructor(private readonly pids: () => Array<[string, number | undefined]>) {
    this.sample();
  }
  private sample(): void {
    const pids = this.pids();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
        if (comm === 'nginx' || comm === 'postgres' || comm === 'redis-server') pids.push([comm === 'redis-server' ? 'redis' : comm, Number(entry)]);
      } catch {
        // gone meanwhile
      }
    }
    for (const [kind, pid] of pids) {
      if (pid === undefined) continue;
      try {
        this.last.set(pid, { kind, ms: procCpuMs(pid) });
      } catch {
        // exited: keep its last sample
      }
    }
  }
  /** CPU ms so far per process, and the whole machine's busy time (pid 0). */
  snapshot(): Map<number, { kind: string; ms: number }> {
    this.sample();
    const out = new Map(this.last);
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait (in USER_HZ = 10 ms).
    out.set(0, { kind: 'machine', ms: (cpu.reduce((a, b) => a + b, 0) - cpu[3]! - cpu[4]!) * 10 });
    return out;
  }
  /** CPU ms per kind between two snapshots (the kind a process has at `after`). */
  static delta(before: Map<number, { kind: string; ms: number }>, after: Map<number, { kind: string; ms: number }>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [pid, { kind, ms }] of after) out[kind] = Math.round((out[kind] ?? 0) + ms - (before.get(pid)?.ms ?? 0));
    return out;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** The generators' timelines merged: percentiles (ms from the last node up) and counts. */
function mergeTimelines(ts: ReconnectTimeline[]) {
  const cat = (f: (t: ReconnectTimeline) => number[]) => ts.flatMap(f);
  const dist = (xs: number[]) => ({ n: xs.length, p10: pct(xs, 10), p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), max: pct(xs, 100) });
  const failures: Record<string, number> = {};
  const losses: Record<string, number> = {};
  for (const t of ts) for (const [k, n] of Object.entries(t.failures)) failures[k] = (failures[k] ?? 0) + n;
  for (const t of ts) for (const [k, n] of Object.entries(t.losses)) losses[k] = (losses[k] ?? 0) + n;
  const tries: Record<string, number> = {};
  for (const n of cat((t) => t.tries)) tries[n] = (tries[n] ?? 0) + 1;
  return {
    clients: ts.reduce((a, t) => a + t.clients, 0),
    lost: dist(cat((t) => t.lostMs)),
    firstTry: dist(cat((t) => t.firstTryMs)),
    open: dist(cat((t) => t.openMs)),
    hello: dist(cat((t) => t.helloMs)),
    synced: dist(cat((t) => t.syncedMs)),
    tries,
    failures,
    losses,
  };
}

async function main(): Promise<void> {
  const nginx = findNginx();
  if (!nginx) throw new Error('nginx is not installed (apt-get install nginx)');
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'packages/server/scripts/build.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);

  const schema = `miniim_rr_${randomBytes(5).toString('hex')}`;
  await pgAdmin(`CREATE SCHEMA ${schema}`);
  const dbUrl = new URL(PG_URL);
  dbUrl.searchParams.set('options', `-c search_path=${schema}`);
  const secret = randomBytes(24).toString('base64url');
  const root = mkdtempSync(path.join(tmpdir(), 'miniim-rr-'));
  const nodes: Node[] = [];
  for (let i = 0; i < NODES; i++) nodes.push({ port: await freePort(), dataDir: path.join(root, `node${i}`) });

  const startNode = async (n: Node): Promise<void> => {
    mkdirSync(n.dataDir, { recursive: true });
    // RR_PROF_DIR: a CPU profile of every node process, written there when it exits.
    const prof = PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=node${nodes.indexOf(n)}-${Date.now()}.cpuprofile`] : [];
    const child = spawn(process.execPath, [...prof, path.join(repoRoot, 'packages/server/dist/miniim.js')], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        MINIIM_DEV_LOGIN: '1',
        HOST: '127.0.0.1',
        PORT: String(n.port),
        DATABASE_URL: dbUrl.toString(),
        REDIS_URL,
        MINIIM_REDIS_PREFIX: `${schema}:`,
        MINIIM_TOKEN_SECRET: secret,
        MINIIM_DATA_DIR: n.dataDir,
        MINIIM_TRUST_PROXY: '127.0.0.1',
        MINIIM_RATE_LIMITS: 'off',
        MINIIM_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    n.child = child;
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`node on ${n.port} exited with ${child.exitCode}`);
      const r = await fetch(`http://127.0.0.1:${n.port}/readyz`).catch(() => undefined);
      if (r?.status === 200) return;
      await sleep(50);
    }
    throw new Error(`node on ${n.port} not ready`);
  };
  const stopNode = async (n: Node): Promise<void> => {
    const child = n.child!;
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };

  let ng: Awaited<ReturnType<typeof startNginx>> | undefined;
  const gens: Generator[] = [];
  const oldNodePids: Array<[string, number]> = [];
  const cpu = new CpuBook(() => [
    ...nodes.map((n, i): [string, number | undefined] => [`node${i}`, n.child?.pid]),
    ...oldNodePids,
    ...gens.map((g): [string, number | undefined] => ['generators', g.child.pid]),
    ['bench', process.pid],
  ]);
  const loadBefore = loadavg();
  try {
    await Promise.all(nodes.map(startNode));
    const prefix = preparePrefix({
      upstreams: nodes.map((n) => `127.0.0.1:${n.port}`),
      httpsPort: await freePort(),
      httpPort: await freePort(),
      workerConnections: Math.max(4096, CLIENTS * 3),
      // Each client is two descriptors in nginx (its own and the upstream's); one worker holds ~4,000
      // clients within this machine's limit of 20,000 descriptors a process.
      workerProcesses: Math.min(4, Math.ceil(CLIENTS / 4000)),
    });
    ng = await startNginx(nginx, prefix);
    const base = `https://localhost:${prefix.httpsPort}`;
    log(
      `rolling-restart: ${NODES} nodes, ${CLIENTS} clients (${WORKERS} generator processes, ${PEERS} neighbours on each side) through nginx ${base}, a send every ~${SEND_EVERY_MS} ms per client`,
    );

    // Each generator: a block of users and its share of the source addresses 127.0.0.2–9.
    const addrs = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const g = new Generator(w);
        gens.push(g);
        const users = Math.floor(CLIENTS / WORKERS) + (w < CLIENTS % WORKERS ? 1 : 0);
        const opts: LoadOptions = {
          baseUrl: base,
          users,
          sendEveryMs: SEND_EVERY_MS,
          ca: prefix.cert,
          seed: SEED + w,
          userPrefix: `rr${w}x`,
          neighbours: PEERS,
          localAddresses: WORKERS > addrs.length ? [addrs[w % addrs.length]!] : addrs.filter((_, i) => i % WORKERS === w),
          concurrency: 25,
        };
        await g.call('start', { load: opts });
      }),
    );
    log(`  ${CLIENTS} clients logged in, connected and loaded in ${Date.now() - t0} ms`);
    const counts = async () => {
      const cs = await Promise.all(gens.map((g) => g.call<{ sends: number; acked: number }>('counts')));
      return { t: Date.now(), sends: cs.reduce((a, c) => a + c.sends, 0), acked: cs.reduce((a, c) => a + c.acked, 0) };
    };
    await Promise.all(gens.map((g) => g.call('send')));
    // The second half of the steady window: the senders' first pauses (0.5–1.5 × the mean) are over.
    await sleep(STEADY_MS / 2);
    const steady0 = await counts();
    const steadyCpu0 = cpu.snapshot();
    await sleep(STEADY_MS / 2);
    const steady1 = await counts();
    const steadyCpuMs = CpuBook.delta(steadyCpu0, cpu.snapshot());
    const perSec = (n: number) => Math.round((n * 1000) / Math.max(1, steady1.t - steady0.t));
    const steady = {
      windowMs: steady1.t - steady0.t,
      sendsPerSec: perSec(steady1.sends - steady0.sends),
      ackedPerSec: perSec(steady1.acked - steady0.acked),
      unackedAtEnd: steady1.sends - steady1.acked,
      cpuMs: steadyCpuMs,
    };
    log(`  steady load before the first restart: ${JSON.stringify(steady)} (offered: ${Math.round((CLIENTS * 1000) / SEND_EVERY_MS)} sends/s)`);
    const restarts: Array<{ node: number; stopMs: number; downMs: number }> = [];
    let lastStop = 0;
    let cpuBefore = cpu.snapshot();
    for (const [i, n] of nodes.entries()) {
      if (i === nodes.length - 1) {
        cpuBefore = cpu.snapshot();
        if (PROF_DIR) await Promise.all(gens.map((g) => g.call('profStart')));
      }
      const t0 = Date.now();
      lastStop = t0;
      if (n.child?.pid) oldNodePids.push([`node${i} stopping`, n.child.pid]);
      // From here the last node's old process counts as stopping, its new one as node<i>.
      await stopNode(n);
      const stopped = Date.now();
      await startNode(n);
      restarts.push({ node: i, stopMs: stopped - t0, downMs: Date.now() - stopped });
      log(`  node ${i}: stopped in ${stopped - t0} ms, up again after ${Date.now() - stopped} ms`);
      if (i < nodes.length - 1) await sleep(2000);
    }
    const lastUp = Date.now();
    // Sends stop at once; what was in flight settles, then every client must be back in sync.
    const settledAt = await Promise.all(gens.map((g) => g.call<number>('stop')));
    const syncedAt = await Promise.all(gens.map((g) => g.call<number | null>('waitInSync', { timeoutMs: SYNC_TIMEOUT_MS })));
    const inSyncAt = Date.now();
    const cpuAfter = cpu.snapshot();
    if (PROF_DIR) await Promise.all(gens.map((g) => g.call('profStop', { file: path.join(PROF_DIR, `generator${g.index}-${inSyncAt}.cpuprofile`) })));
    const connectedAt = await Promise.all(gens.map((g) => g.call<number | null>('connectedAt')));
    const timeline = mergeTimelines(await Promise.all(gens.map((g) => g.call<ReconnectTimeline>('timeline', { since: lastStop, ref: lastUp }))));
    const windowMs = inSyncAt - lastStop;
    const cpuMs = CpuBook.delta(cpuBefore, cpuAfter);
    log(`  last restart: SIGTERM ${lastStop - lastUp} ms from the last node up; timeline (ms from the last node up): ${JSON.stringify(timeline)}`);
    log(`  CPU ms from the last SIGTERM to in sync (${windowMs} ms, 2 cores = ${2 * windowMs} ms): ${JSON.stringify(cpuMs)}`);
    const synced = syncedAt.every((t) => t !== null);
    const syncMs = synced ? Math.max(...(syncedAt as number[])) - lastUp : null;
    const sendsSettledMs = Math.max(...settledAt) - lastUp;
    const connectedMs = connectedAt.every((t) => t !== null) ? Math.max(...(connectedAt as number[])) - lastUp : null;
    log(`  every client in sync ${synced ? `${syncMs} ms after the last node was up` : `not within ${SYNC_TIMEOUT_MS} ms`}`);
    log(`  (sends in flight settled after ${sendsSettledMs} ms; every client connected after ${connectedMs ?? '-'} ms)`);
    const reports = await Promise.all(gens.map((g) => g.call<LoadReport>('verify')));
    const sum = (f: (r: LoadReport) => number) => reports.reduce((a, r) => a + f(r), 0);
    const all = <T>(f: (r: LoadReport) => T[]) => reports.flatMap(f);
    const reconnectCodes: Record<string, number> = {};
    for (const r of reports) for (const [code, n] of Object.entries(r.reconnectCodes)) reconnectCodes[code] = (reconnectCodes[code] ?? 0) + n;
    const report = {
      scenario: 'rolling-restart',
      at: new Date().toISOString(),
      node: process.version,
      machine: { loadAvgBefore: loadBefore, loadAvgAfter: loadavg() },
      params: {
        nodes: NODES,
        clients: CLIENTS,
        neighbours: PEERS,
        workers: WORKERS,
        sendEveryMs: SEND_EVERY_MS,
        steadyMs: STEADY_MS,
        seed: SEED,
        balance: 'least_conn (deploy/nginx/miniim.conf), Redis bus between the nodes',
      },
      restarts,
      inSyncAfterLastUpMs: syncMs,
      sendsSettledAfterLastUpMs: sendsSettledMs,
      allConnectedAfterLastUpMs: connectedMs,
      steady,
      lastRestart: { sigtermBeforeLastUpMs: lastUp - lastStop, windowMs, cpuMs, timeline },
      sends: sum((r) => r.sends),
      acked: sum((r) => r.acked),
      failedSends: sum((r) => r.failedSends.length),
      lost: sum((r) => r.lost.length),
      duplicated: sum((r) => r.duplicated.length),
      notOnceInStores: sum((r) => r.notOnceInStores.length),
      storeMismatches: sum((r) => r.mismatches.length),
      storeMismatchExamples: all((r) => r.mismatches).slice(0, 5),
      logouts: sum((r) => r.sessionEnded.length),
      refreshes: sum((r) => r.refreshes),
      logins: sum((r) => r.logins),
      clientsReconnected: sum((r) => r.clientsReconnected),
      reconnectCodes,
    };
    mkdirSync(OUT, { recursive: true });
    const file = path.join(OUT, `rolling-restart-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(OUT, 'latest-rolling-restart.json'), `${JSON.stringify(report, null, 2)}\n`);
    log(JSON.stringify(report, null, 2));
    log(`wrote ${path.relative(process.cwd(), file)}`);
    const ok = synced && report.lost === 0 && report.duplicated === 0 && report.logouts === 0 && report.failedSends === 0 && report.storeMismatches === 0;
    if (!ok) process.exitCode = 1;
  } finally {
    cpu.stop();
    for (const g of gens) g.close();
    // nginx's own complaints (descriptors, upstream errors) say where a large run broke.
    const errors = ng
      ? readFileSync(path.join(ng.prefix.dir, 'logs/error.log'), 'utf8')
          .split('\n')
          .filter((l) => /\[(error|crit|alert|emerg)\]/.test(l))
      : [];
    if (errors.length) log(`nginx error.log: ${errors.length} errors, the last ones:\n${errors.slice(-5).join('\n')}`);
    await ng?.stop();
    for (const n of nodes) await stopNode(n).catch(() => {});
    await pgAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`rolling-restart: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
