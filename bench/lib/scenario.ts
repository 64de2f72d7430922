/** Shared types of scenarios and the lifecycle of one (scenario, target) run. */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchServer, ClusterProcess } from './cluster-process.js';
import { commitStagesBetween } from './commit-stages.js';
import type { BenchOptions } from './options.js';
import { startPerfRecord, startPerfStat } from './perf-stat.js';
import { commCpuMs, procThreadCpuMs, threadCpuDelta } from './proc-stats.js';
import { selfTimeByFile, topSelfTime } from './profile-summary.js';
import { type ServerLaunch, ServerProcess } from './server-process.js';
import type { Target, TargetName } from './targets.js';
import type { WorkerPool } from './worker-pool.js';

/** One table row of a target's result (e.g. `closed`, `open 50%`, `200 members`). */
export interface ResultRow {
  key: string;
  metrics: Record<string, number | null>;
}

export interface TargetResult {
  target: TargetName;
  label: string;
  /** With `--rounds N` > 1: the round (1…N) this result is from (its label ends with `· round k`). */
  round?: number;
  /** Set when the target could not run this scenario, with the reason. */
  skipped?: string;
  /** Set when the run failed with an error (the reason is in `skipped`). */
  failed?: boolean;
  rows: ResultRow[];
  lost: number;
  duplicated: number;
  notes: string[];
  details?: Record<string, unknown>;
}

export interface Column {
  key: string;
  label: string;
  digits?: number;
}

/** A MiniIM / baseline ratio reported for one metric of one row. */
export interface RatioSpec {
  row: string;
  metric: string;
  label: string;
}

/** A MiniIM target from the issue, evaluated on the results (measured, never asserted). */
export interface Goal {
  goal: string;
  value: string;
  met: boolean | null;
  /** For a ratio goal: the ratio itself and its bound (what `--rounds` takes the median of). */
  ratio?: number | null;
  bound?: { max?: number; min?: number };
}

export interface ScenarioContext {
  opts: BenchOptions;
  target: Target;
  server: BenchServer;
  workers: WorkerPool;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  /** What is measured and how, for the report. */
  method: string;
  columns: Column[];
  ratios: RatioSpec[];
  /** The chart's metric; `row` limits it to one row key (e.g. `closed`). */
  chart: { metric: string; label: string; row?: string };
  targets: TargetName[];
  params(opts: BenchOptions): Record<string, unknown>;
  run(ctx: ScenarioContext): Promise<TargetResult>;
  goals(results: TargetResult[]): Goal[];
}

/**
 * Runs `fn` against the target's server (started here and stopped afterwards unless `shared` is
 * given) with the generator workers pointed at it; the workers' connections are always dropped.
 */
export async function withTarget(
  opts: BenchOptions,
  target: Target,
  workers: WorkerPool,
  log: (l: string) => void,
  fn: (ctx: ScenarioContext) => Promise<TargetResult>,
  shared?: BenchServer,
): Promise<TargetResult> {
  const t0 = Date.now();
  const profileDir = opts.profile && target.name === 'miniim' ? join(opts.outDir, 'profiles') : undefined;
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const env = opts.commitStats && target.name.startsWith('miniim') ? { ...target.env, MINIIM_COMMIT_STATS: 'on' } : target.env;
  const server = shared ?? (await startTarget(target, { env, nodeArgs }));
  if (process.env.BENCH_DEBUG) log(`    server up in ${Date.now() - t0} ms`);
  try {
    await workers.setup(
      { protocol: target.protocol, baseUrl: server.baseUrl, baseUrls: server.baseUrls, placement: target.placement, auth: target.auth },
      opts.sourceAddrs,
    );
    return await fn({ opts, target, server, workers, log });
  } catch (err) {
    throw new Error(`${target.name}: ${(err as Error).message}\n--- server log ---\n${server.log}`);
  } finally {
    const t1 = Date.now();
    await workers.all('drop-all').catch(() => {});
    if (!shared) await server.stop();
    if (profileDir && !shared) {
      const prof = readdirSync(profileDir)
        .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${server.pid}.`))
        .map((f) => join(profileDir, f))[0];
      if (prof)
        log(
          `    CPU profile ${prof}\n    top self time:\n      ${topSelfTime(prof, 25).join('\n      ')}\n    by file:\n      ${selfTimeByFile(prof).join('\n      ')}`,
        );
      else log(`    no CPU profile written in ${profileDir} (server did not exit cleanly?)`);
    }
    if (process.env.BENCH_DEBUG) log(`    teardown ${Date.now() - t1} ms`);
  }
}

/** Starts a target's server: one process, or (`nodes` or `redis` set) a cluster of them on one database and Redis. */
export function startTarget(target: Target, extra: Partial<Pick<ServerLaunch, 'env' | 'nodeArgs'>> = {}): Promise<BenchServer> {
  const launch: ServerLaunch = { entry: target.entry, env: extra.env ?? target.env, nodeArgs: extra.nodeArgs, database: target.database };
  return target.nodes || target.redis ? ClusterProcess.start(launch, target.nodes ?? 1) : ServerProcess.start(launch);
}

/** Splits `items` round-robin into `n` lists. */
export function spread<T>(items: T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((it, i) => {
    out[i % n].push(it);
  });
  return out;
}

/**
 * Server and generator CPU over a measured window, and the server's event-loop delay (sampled
 * through the inspector; null when it has none); with `--commit-stats`, MiniIM's commit stages; with
 * `--profile` and a `tag`, a CPU profile of MiniIM during just this window; with `--perf-stat`, the
 * server's syscall and context-switch counts (perf-stat.ts) and its CPU time by thread kind, user and system (µs).
 */
export async function measureCpu<T>(ctx: ScenarioContext, fn: () => Promise<T>, tag?: string) {
  const stats = ctx.opts.commitStats && ctx.target.name.startsWith('miniim');
  const metrics0 = stats ? await ctx.server.metricsText() : '';
  const loopDelayOn = await ctx.server.startLoopDelay();
  const profiler = ctx.opts.profile && ctx.target.name.startsWith('miniim') && tag ? await ctx.server.startProfile() : null;
  const perf = ctx.opts.perfStat ? startPerfStat(ctx.server.pids ?? [ctx.server.pid]) : null;
  const perfRecord = tag ? startPerfRecord(`${ctx.target.name}-${tag}`) : null;
  // One process: its CPU by thread kind as well (a cluster's nodes are counted together by perf stat).
  const threads0 = ctx.opts.perfStat && !ctx.server.pids ? procThreadCpuMs(ctx.server.pid) : null;
  const s0 = ctx.server.cpuMs();
  const n0 = ctx.server.cpuMsByNode?.();
  const svc0 = servicesCpuMs();
  const g0 = await ctx.workers.cpuMs();
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const serverCpuMs = ctx.server.cpuMs() - s0;
  const nodeCpuMs = n0 ? ctx.server.cpuMsByNode!().map((v, i) => v - n0[i]!) : [serverCpuMs];
  const svc1 = servicesCpuMs();
  const threads = threads0 ? threadCpuDelta(threads0, procThreadCpuMs(ctx.server.pid)) : null;
  const perfCounts = perf ? { ...(await perf.stop()), ...threads } : null;
  await perfRecord?.stop();
  const genCpuMs = (await ctx.workers.cpuMs()) - g0;
  const loopDelay = loopDelayOn ? await ctx.server.loopDelay() : null;
  // Who used the machine's cores during the window (% of one core).
  const share = {
    nodes: nodeCpuMs.map((v) => round((v / wallMs) * 100, 0)),
    postgres: round(((svc1.postgres - svc0.postgres) / wallMs) * 100, 0),
    redis: round(((svc1.redis - svc0.redis) / wallMs) * 100, 0),
    generator: round((genCpuMs / wallMs) * 100, 0),
  };
  if (tag)
    ctx.log(
      `    ${tag} CPU % of one core: server ${share.nodes.join(' + ')} · PostgreSQL ${share.postgres} · Redis ${share.redis} · generator ${share.generator}`,
    );
  if (profiler && tag) await logProfiles(ctx, profiler, tag);
  const commitStages = stats ? commitStagesBetween(metrics0, await ctx.server.metricsText()) : undefined;
  return { value, wallMs, serverCpuMs, genCpuMs, loopDelay, commitStages, perfCounts, share };
}

/** Stops a running profile (one file per node) under `<out>/profiles/` and logs each one's top self time. */
export async function logProfiles(ctx: ScenarioContext, profiler: { stop(file: string): Promise<string[]> }, tag: string): Promise<void> {
  const dir = join(ctx.opts.outDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${ctx.target.name}-${tag.replace(/[^\w]+/g, '-')}.cpuprofile`);
  for (const f of await profiler.stop(file))
    ctx.log(`    ${tag}: CPU profile ${f}\n      ${topSelfTime(f, 20).join('\n      ')}\n    by file:\n      ${selfTimeByFile(f).join('\n      ')}`);
}

/** CPU ms so far of the shared services a target may use (PostgreSQL's processes, Redis). */
function servicesCpuMs(): { postgres: number; redis: number } {
  return { postgres: commCpuMs('postgres'), redis: commCpuMs('redis-server') };
}

export const round = (v: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** Whether a ratio is within its bound (at most `max`, or at least `min`). */
/** Whether ratio `r` is within `bound`; null for a reference ratio (no bound). */
export const boundMet = (r: number, bound: { max?: number; min?: number }): boolean | null =>
  bound.max !== undefined ? r <= bound.max : bound.min !== undefined ? r >= bound.min : null;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * The goals over several rounds of one scenario (`--rounds N`): a ratio goal becomes the median of the
 * rounds' ratios (met by that median), followed by every round's value; any other goal lists the rounds'
 * values and is met only when every round met it.
 */
export function medianGoals(rounds: Goal[][]): Goal[] {
  if (rounds.length <= 1) return rounds[0] ?? [];
  const names = [...new Set(rounds.flatMap((gs) => gs.map((g) => g.goal)))];
  return names.map((goal) => {
    const each = rounds.map((gs) => gs.find((g) => g.goal === goal));
    const values = each.map((g) => g?.value ?? 'n/a').join(', ');
    const ratios = each.map((g) => g?.ratio).filter((r): r is number => typeof r === 'number' && Number.isFinite(r));
    const bound = each.find((g) => g?.bound)?.bound;
    if (bound && each.some((g) => g?.ratio !== undefined)) {
      if (!ratios.length) return { goal, value: `n/a (rounds: ${values})`, met: null, ratio: null, bound };
      const r = median(ratios);
      return { goal, value: `${round(r, 2)}× median of ${rounds.length} rounds (${values})`, met: boundMet(r, bound), ratio: r, bound };
    }
    const mets = each.map((g) => g?.met ?? null);
    const met = mets.some((m) => m === null) ? null : mets.every(Boolean);
    return { goal, value: `rounds: ${values}`, met };
  });
}
