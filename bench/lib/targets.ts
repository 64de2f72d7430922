/** The servers a benchmark run compares: MiniIM and the three baselines (plus a no-fsync variant). */
import type { ClientSpec, NodePlacement } from '../gen/bench-client.js';
import type { BenchDatabase } from './bench-database.js';

export type TargetName =
  | 'miniim'
  | 'miniim-base'
  | 'miniim-nometrics'
  | 'miniim-memory'
  | 'miniim-pg'
  | 'miniim-mysql'
  | 'miniim-pg-redis'
  | 'miniim-cluster'
  | 'miniim-cluster-colocated'
  | 'miniim-cluster-base'
  | 'miniim-pg-base'
  | 'miniim-cluster-3'
  | 'miniim-cluster-4'
  | 'raw'
  | 'socketio'
  | 'socketio-nofsync'
  | 'socketio-pg'
  | 'socketio-cluster'
  | 'blog';

export interface Target {
  name: TargetName;
  /** Short description for tables and docs. */
  label: string;
  protocol: ClientSpec['protocol'];
  auth: ClientSpec['auth'];
  /** Whether messages are stored (false: nothing to sync after a reconnect). */
  storage: boolean;
  entry: string;
  env: Record<string, string>;
  /** Stores in a fresh database on this service (DATABASE_URL) instead of SQLite in the data dir. */
  database?: BenchDatabase;
  /** Runs as this many processes on one database and Redis (REDIS_URL), clients spread over them (bench/lib/cluster-process.ts). */
  nodes?: number;
  /** Uses Redis (REDIS_URL) even on one node (MiniIM: the Redis bus and shared state). */
  redis?: boolean;
  /** With `nodes`: which node each user connects to (bench-client.ts `nodeIndex`; default `split`, a direct pair's ends on different nodes). */
  placement?: NodePlacement;
}

export const MINIIM_ENTRY = 'packages/server/src/main.ts';

const MINIIM_ENV = {
  MINIIM_DEV_LOGIN: '1',
  MINIIM_LOG_LEVEL: 'warn',
  MINIIM_RATE_LIMITS: 'off',
  // Load clients may open many sockets per user (default cap 10 per user).
  MINIIM_MAX_SOCKETS_PER_USER: '100000',
  // The group scenario needs 10,000-member groups (default cap 2,000).
  MINIIM_MAX_GROUP_SIZE: '20000',
};

/** Socket.IO 4 writing each message to PostgreSQL (one INSERT); on 2 nodes it adds @socket.io/redis-adapter. */
const SOCKETIO_PG: Target = {
  name: 'socketio-pg',
  label: 'Socket.IO 4 + PostgreSQL (1 INSERT/msg)',
  protocol: 'socketio',
  auth: 'userid',
  storage: true,
  entry: 'bench/servers/socketio-server.ts',
  env: {},
  database: 'postgres',
};

/** MiniIM on a fresh PostgreSQL database, as one node or several (`nodes`, `redis`). */
function miniimOnPostgres(name: TargetName, label: string, cluster: Pick<Target, 'nodes' | 'redis' | 'placement'>): Target {
  return { name, label, protocol: 'v1', auth: 'dev', storage: true, entry: MINIIM_ENTRY, env: MINIIM_ENV, database: 'postgres', ...cluster };
}

export const TARGETS: Record<TargetName, Target> = {
  miniim: { name: 'miniim', label: 'MiniIM', protocol: 'v1', auth: 'dev', storage: true, entry: MINIIM_ENTRY, env: MINIIM_ENV },
  /**
   * MiniIM from another checkout (`BENCH_BASELINE_DIR`, e.g. an unpacked `git archive` of an older commit with
   * node_modules linked in), for a before/after comparison in one invocation.
   */
  'miniim-base': {
    name: 'miniim-base',
    label: 'MiniIM (baseline checkout)',
    protocol: 'v1',
    auth: 'dev',
    storage: true,
    entry: `${process.env.BENCH_BASELINE_DIR ?? '(set BENCH_BASELINE_DIR)'}/${MINIIM_ENTRY}`,
    env: MINIIM_ENV,
  },
  // The cost of the metrics: the same server with MINIIM_METRICS=0 (docs/benchmarks.md, "Metrics cost").
  'miniim-nometrics': {
    name: 'miniim-nometrics',
    label: 'MiniIM, metrics off',
    protocol: 'v1',
    auth: 'dev',
    storage: true,
    entry: MINIIM_ENTRY,
    env: { ...MINIIM_ENV, MINIIM_METRICS: '0' },
  },
  // A control: the same server on the in-memory storage of the unit tests, no disk and no durable commit
  // (docs/benchmarks.md, "MiniIM without the disk (control)"). In no default target set.
  'miniim-memory': {
    name: 'miniim-memory',
    label: 'MiniIM, in-memory storage (control, not durable)',
    protocol: 'v1',
    auth: 'dev',
    storage: true,
    entry: 'bench/servers/miniim-memory.ts',
    env: MINIIM_ENV,
  },
  'miniim-pg': {
    name: 'miniim-pg',
    label: 'MiniIM on PostgreSQL',
    protocol: 'v1',
    auth: 'dev',
    storage: true,
    entry: MINIIM_ENTRY,
    env: MINIIM_ENV,
    database: 'postgres',
  },
  'miniim-mysql': {
    name: 'miniim-mysql',
    label: 'MiniIM on MariaDB',
    protocol: 'v1',
    auth: 'dev',
    storage: true,
    entry: MINIIM_ENTRY,
    env: MINIIM_ENV,
    database: 'mysql',
  },
  'miniim-pg-redis': miniimOnPostgres('miniim-pg-redis', 'MiniIM, 1 node, PostgreSQL + Redis bus', { redis: true }),
  'miniim-cluster': miniimOnPostgres('miniim-cluster', 'MiniIM, 2 nodes, PostgreSQL + Redis', { nodes: 2 }),
  // A control for the cross-node ratio: the same 2 nodes, both users of each direct pair on one node (half
  // the pairs on each), so no delivery needs the other node; the bus still carries every publish (one channel).
  'miniim-cluster-colocated': miniimOnPostgres('miniim-cluster-colocated', 'MiniIM, 2 nodes, pairs on one node', { nodes: 2, placement: 'pair' }),
  // The 2-node target from another checkout (`BENCH_BASELINE_DIR`, as `miniim-base`): before/after in one invocation.
  'miniim-cluster-base': {
    ...miniimOnPostgres('miniim-cluster-base', 'MiniIM, 2 nodes, PostgreSQL + Redis (baseline checkout)', { nodes: 2 }),
    entry: `${process.env.BENCH_BASELINE_DIR ?? '(set BENCH_BASELINE_DIR)'}/${MINIIM_ENTRY}`,
  },
  'miniim-pg-base': {
    ...miniimOnPostgres('miniim-pg-base', 'MiniIM on PostgreSQL (baseline checkout)', {}),
    entry: `${process.env.BENCH_BASELINE_DIR ?? '(set BENCH_BASELINE_DIR)'}/${MINIIM_ENTRY}`,
  },
  // More nodes, for the bus design's cost as nodes are added (docs/architecture.md).
  'miniim-cluster-3': miniimOnPostgres('miniim-cluster-3', 'MiniIM, 3 nodes, PostgreSQL + Redis', { nodes: 3 }),
  'miniim-cluster-4': miniimOnPostgres('miniim-cluster-4', 'MiniIM, 4 nodes, PostgreSQL + Redis', { nodes: 4 }),
  raw: {
    name: 'raw',
    label: 'raw ws relay',
    protocol: 'v1',
    auth: 'userid',
    storage: false,
    entry: 'bench/servers/raw-relay.ts',
    env: {},
  },
  socketio: {
    name: 'socketio',
    label: 'Socket.IO 4 + SQLite (fsync)',
    protocol: 'socketio',
    auth: 'userid',
    storage: true,
    entry: 'bench/servers/socketio-server.ts',
    env: { BENCH_SYNC: 'full' },
  },
  'socketio-nofsync': {
    name: 'socketio-nofsync',
    label: 'Socket.IO 4 + SQLite (no fsync)',
    protocol: 'socketio',
    auth: 'userid',
    storage: true,
    entry: 'bench/servers/socketio-server.ts',
    env: { BENCH_SYNC: 'off' },
  },
  'socketio-pg': SOCKETIO_PG,
  'socketio-cluster': { ...SOCKETIO_PG, name: 'socketio-cluster', label: 'Socket.IO 4, 2 nodes, redis-adapter + PostgreSQL (1 INSERT/msg)', nodes: 2 },
  blog: {
    name: 'blog',
    label: 'blog-style (users array, 1 insert/msg)',
    protocol: 'v1',
    auth: 'userid',
    storage: true,
    entry: 'bench/servers/blog-server.ts',
    env: { BENCH_SYNC: 'full' },
  },
};
