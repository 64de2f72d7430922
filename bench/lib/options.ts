/** Command-line options of `bench/run.ts` and the size presets (smoke, quick, full). */
import type { TargetName } from './targets.js';

export type Mode = 'smoke' | 'quick' | 'full';
export const SCENARIOS = ['idle', 'direct', 'group', 'reconnect', 'cluster', 'cluster-group'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** What a run without --scenarios covers (the cluster ones need PostgreSQL and Redis: asked for by name). */
export const DEFAULT_SCENARIOS: ScenarioName[] = ['idle', 'direct', 'group', 'reconnect'];

/** Sizes of every scenario for one mode. */
export interface Sizes {
  idle: { sockets: number; holdMs: number; settleMs: number };
  direct: {
    pairs: number;
    window: number;
    warmupMs: number;
    closedMs: number;
    openMs: number;
    levels: number[];
    /**
     * First run the closed loop once on the fresh server and report it as the row `closed (cold start)`;
     * `closed` (and the open-loop rates derived from it) then measure the server warmed up.
     */
    coldRow?: boolean;
  };
  group: {
    sizes: number[];
    senders: number;
    inflightDeliveries: number;
    warmupMs: number;
    durationMs: number;
  };
  reconnect: { victims: number; feeders: number; perVictim: number; concurrency: number; timeoutMs: number };
}

export const PRESETS: Record<Mode, Sizes> = {
  smoke: {
    idle: { sockets: 20, holdMs: 200, settleMs: 100 },
    direct: { pairs: 4, window: 1, warmupMs: 100, closedMs: 400, openMs: 300, levels: [0.5] },
    group: { sizes: [10], senders: 2, inflightDeliveries: 100, warmupMs: 100, durationMs: 300 },
    reconnect: { victims: 20, feeders: 4, perVictim: 2, concurrency: 50, timeoutMs: 10_000 },
  },
  quick: {
    idle: { sockets: 2000, holdMs: 1500, settleMs: 500 },
    direct: { pairs: 50, window: 2, warmupMs: 500, closedMs: 2000, openMs: 1200, levels: [0.1, 0.25, 0.5, 0.75] },
    group: { sizes: [200, 2000], senders: 4, inflightDeliveries: 4000, warmupMs: 300, durationMs: 1500 },
    reconnect: { victims: 1000, feeders: 50, perVictim: 2, concurrency: 250, timeoutMs: 30_000 },
  },
  full: {
    idle: { sockets: 19_000, holdMs: 30_000, settleMs: 3000 },
    direct: {
      pairs: 500,
      window: 1,
      warmupMs: 2000,
      closedMs: 10_000,
      openMs: 10_000,
      levels: [0.1, 0.25, 0.5, 0.75],
    },
    group: {
      sizes: [200, 2000, 10_000],
      senders: 10,
      inflightDeliveries: 20_000,
      warmupMs: 1000,
      durationMs: 10_000,
    },
    reconnect: { victims: 10_000, feeders: 200, perVictim: 2, concurrency: 500, timeoutMs: 60_000 },
  },
};

export interface BenchOptions {
  mode: Mode;
  scenarios: ScenarioName[];
  targets: TargetName[] | undefined;
  workers: number;
  sourceAddrs: string[];
  outDir: string;
  /** Rewrite docs/benchmarks.md from the results. */
  docs: boolean;
  /** Record a V8 CPU profile of the MiniIM server during each scenario. */
  profile: boolean;
  /** Open-loop levels are fractions of this rate (msgs/s) instead of each server's closed-loop rate (same-rate A/B). */
  refRate: number | undefined;
  /** Count the server's syscalls and context switches per phase with `perf stat` (Linux). */
  perfStat: boolean;
  /** Start MiniIM with MINIIM_COMMIT_STATS=on and report its commit stages per direct phase. */
  commitStats: boolean;
  /** One server per target for every scenario (smoke: saves start-up time) instead of one per scenario. */
  shareServers: boolean;
  /**
   * Run each scenario's targets this many times, the order reversed every other round, each on fresh
   * processes; the report keeps every round and its ratio goals become the medians of the rounds' ratios.
   */
  rounds: number;
  sizes: Sizes;
  command: string;
}

const USAGE = `usage: tsx bench/run.ts [--full | --smoke] [--scenarios idle,direct,group,reconnect,cluster,cluster-group]
  [--targets miniim,miniim-memory,raw,socketio,socketio-nofsync,blog,miniim-pg,miniim-pg-redis,miniim-cluster,miniim-cluster-colocated,miniim-cluster-base,miniim-pg-base,socketio-pg,socketio-cluster]
  [--workers N] [--addrs N] [--out DIR] [--no-docs] [--profile] [--commit-stats] [--perf-stat] [--ref-rate MSGS_PER_SEC] [--rounds N]`;

/** Parses argv (without node and script). Throws with the usage text on a bad flag. */
export function parseOptions(argv: string[], defaultOutDir: string): BenchOptions {
  let mode: Mode = 'quick';
  let scenarios: ScenarioName[] = [...DEFAULT_SCENARIOS];
  let targets: TargetName[] | undefined;
  let workers = 2;
  let addrs = 8;
  let outDir = defaultOutDir;
  let docs = true;
  let profile = false;
  let commitStats = false;
  let refRate: number | undefined;
  let perfStat = false;
  let rounds = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--full') mode = 'full';
    else if (a === '--smoke') mode = 'smoke';
    else if (a === '--quick') mode = 'quick';
    else if (a === '--scenarios') scenarios = value().split(',') as ScenarioName[];
    else if (a === '--targets') targets = value().split(',') as TargetName[];
    else if (a === '--workers') workers = Number(value());
    else if (a === '--addrs') addrs = Number(value());
    else if (a === '--out') outDir = value();
    else if (a === '--no-docs') docs = false;
    else if (a === '--profile') profile = true;
    else if (a === '--commit-stats') commitStats = true;
    else if (a === '--perf-stat') perfStat = true;
    else if (a === '--ref-rate') refRate = Number(value());
    else if (a === '--rounds') rounds = Number(value());
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}\n${USAGE}`);
  if (refRate !== undefined && !(refRate > 0)) throw new Error(`bad --ref-rate\n${USAGE}`);
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`bad --rounds\n${USAGE}`);
  if (!(workers >= 1 && addrs >= 1 && addrs <= 250)) throw new Error(`bad --workers or --addrs\n${USAGE}`);
  return {
    mode,
    scenarios,
    targets,
    workers,
    sourceAddrs: Array.from({ length: addrs }, (_, k) => `127.0.0.${k + 2}`),
    outDir,
    docs: docs && mode !== 'smoke',
    profile,
    commitStats,
    refRate,
    perfStat,
    // Rounds compare fresh processes: no sharing then.
    shareServers: mode === 'smoke' && rounds === 1,
    rounds,
    sizes: PRESETS[mode],
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
  };
}
