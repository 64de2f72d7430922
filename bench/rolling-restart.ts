/**
 * `rolling-restart` scenario: N MiniIM nodes (production build, one PostgreSQL schema) behind a
 * local nginx running deploy/nginx/miniim.conf (TLS, wss), SDK clients under steady load, every
 * node restarted one by one with SIGTERM. Reports, per restart, how long the node was down, then
 * the time from the last node up until every client is connected with a store equal to the
 * server's history, messages lost/duplicated, logouts, token refreshes and logins.
 *
 *   npm run bench:rolling-restart -- [--nodes 2] [--clients 100] [--send-every-ms 500] [--seed 18] [--out bench/results]
 *
 * The nodes share the Redis bus (REDIS_URL, a fresh key prefix per run), and nginx balances as the
 * project's config does (`least_conn`), so clients spread over the nodes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findNginx, freePort, preparePrefix, startNginx } from '../deploy/test/support/nginx.js';
import { SdkLoad, until } from '../deploy/test/support/sdk-load.js';
import { repoRoot } from './lib/spawn-node.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const NODES = arg('nodes', 2);
const CLIENTS = arg('clients', 100);
const SEND_EVERY_MS = arg('send-every-ms', 500);
const SEED = arg('seed', 18);
const outIdx = process.argv.indexOf('--out');
const OUT = path.resolve(outIdx > 0 ? process.argv[outIdx + 1]! : path.join(repoRoot, 'bench/results'));
const PG_URL = process.env.MINIIM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.MINIIM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
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
    const child = spawn(process.execPath, [path.join(repoRoot, 'packages/server/dist/miniim.js')], {
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
        MINIIM_MEDIA_SIGNED_URL_SECRET: `media-${secret}`,
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
  let load: SdkLoad | undefined;
  try {
    await Promise.all(nodes.map(startNode));
    const prefix = preparePrefix({ upstreams: nodes.map((n) => `127.0.0.1:${n.port}`), httpsPort: await freePort(), httpPort: await freePort() });
    ng = await startNginx(nginx, prefix);
    const base = `https://localhost:${prefix.httpsPort}`;
    log(`rolling-restart: ${NODES} nodes, ${CLIENTS} clients through nginx ${base}, a send every ~${SEND_EVERY_MS} ms per client`);

    load = await SdkLoad.start({ baseUrl: base, users: CLIENTS, sendEveryMs: SEND_EVERY_MS, ca: prefix.cert, seed: SEED, userPrefix: 'rr' });
    load.startSending();
    await sleep(2000);
    const restarts: Array<{ node: number; stopMs: number; downMs: number }> = [];
    for (const [i, n] of nodes.entries()) {
      const t0 = Date.now();
      await stopNode(n);
      const stopped = Date.now();
      await startNode(n);
      restarts.push({ node: i, stopMs: stopped - t0, downMs: Date.now() - stopped });
      log(`  node ${i}: stopped in ${stopped - t0} ms, up again after ${Date.now() - stopped} ms`);
      if (i < nodes.length - 1) await sleep(2000);
    }
    const lastUp = Date.now();
    await load.stopSending();
    const truth = await load.truth();
    const synced = await until(() => load!.allConnected() && load!.storesMatch(truth), 60_000);
    const syncMs = Date.now() - lastUp;
    const r = await load.verify({ storeWaitMs: 1000 });
    const report = {
      scenario: 'rolling-restart',
      at: new Date().toISOString(),
      node: process.version,
      params: {
        nodes: NODES,
        clients: CLIENTS,
        sendEveryMs: SEND_EVERY_MS,
        seed: SEED,
        balance: 'least_conn (deploy/nginx/miniim.conf), Redis bus between the nodes',
      },
      restarts,
      inSyncAfterLastUpMs: synced ? syncMs : null,
      sends: r.sends,
      acked: r.acked,
      failedSends: r.failedSends.length,
      lost: r.lost.length,
      duplicated: r.duplicated.length,
      storeMismatches: r.mismatches.length,
      storeMismatchExamples: r.mismatches.slice(0, 5),
      logouts: r.sessionEnded.length,
      refreshes: r.refreshes,
      logins: r.logins,
      clientsReconnected: r.clientsReconnected,
      reconnectCodes: r.reconnectCodes,
    };
    mkdirSync(OUT, { recursive: true });
    const file = path.join(OUT, `rolling-restart-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(OUT, 'latest-rolling-restart.json'), `${JSON.stringify(report, null, 2)}\n`);
    log(JSON.stringify(report, null, 2));
    log(`wrote ${path.relative(process.cwd(), file)}`);
    const ok = synced && r.lost.length === 0 && r.duplicated.length === 0 && r.sessionEnded.length === 0 && r.failedSends.length === 0;
    if (!ok) process.exitCode = 1;
  } finally {
    load?.dispose();
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
