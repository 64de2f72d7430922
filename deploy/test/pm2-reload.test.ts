/**
 * deploy/ecosystem.config.cjs under pm2 (from npm): two cluster instances on PostgreSQL + Redis, steady
 * load from SDK clients, `pm2 reload` — nothing acked is lost or doubled, every client was moved
 * (close 1012) and came back with its token: no session ended, no refresh, no second login, and every
 * acked message is in its sender's and its recipient's store exactly once (stores equal the history).
 * pm2 runs with its own PM2_HOME, killed (daemon and apps) after the test.
 * The server's history is the truth every acked send is checked against.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshDatabase, serviceAvailable } from '../../packages/server/test/support/databases.js';
import { freshRedisPrefix, REDIS_URL, redisAvailable } from '../../packages/server/test/support/redis.js';
import { onCleanup } from '../../packages/server/test/support/server.js';
import { freePort, REPO_ROOT } from './support/nginx.js';
import { SdkLoad, until } from './support/sdk-load.js';

const PM2 = createRequire(import.meta.url).resolve('pm2/bin/pm2');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pm2Proc {
  pid: number;
  pm_id: number;
  pm2_env: { status: string; exec_mode: string; restart_time: number };
}

function pm2Sync(env: NodeJS.ProcessEnv, args: string[]): string {
  const r = spawnSync(process.execPath, [PM2, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`pm2 ${args.join(' ')} failed: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function pm2Async(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PM2, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

function procs(env: NodeJS.ProcessEnv): Pm2Proc[] {
  return JSON.parse(pm2Sync(env, ['jlist'])) as Pm2Proc[];
}

describe('pm2 (deploy/ecosystem.config.cjs)', () => {
  it('reloads 2 cluster instances under steady SDK load: nothing acked lost, every store complete, nobody logs in again', { timeout: 240_000 }, async () => {
    if (!(await serviceAvailable('postgres')) || !(await redisAvailable())) return;
    // The production build pm2 runs (plain node on packages/server/dist).
    const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'packages/server/scripts/build.mjs')], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);

    const databaseUrl = await freshDatabase('postgres');
    const home = mkdtempSync(path.join(tmpdir(), 'miniim-pm2-'));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      PM2_HOME: home,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      MINIIM_REDIS_PREFIX: freshRedisPrefix(),
      PORT: String(port),
      HOST: '127.0.0.1',
      // Development mode for the dev login the load logs in with; the process file is the production one.
      NODE_ENV: 'development',
      MINIIM_DEV_LOGIN: '1',
      MINIIM_TOKEN_SECRET: randomBytes(24).toString('base64url'),
      MINIIM_MEDIA_SIGNED_URL_SECRET: randomBytes(24).toString('base64url'),
      MINIIM_INSTANCES: '2',
      MINIIM_DATA_DIR: path.join(home, 'data'),
      MINIIM_LOG_LEVEL: 'warn',
    };
    onCleanup(() => {
      spawnSync(process.execPath, [PM2, 'kill'], { env, timeout: 30_000 });
      rmSync(home, { recursive: true, force: true });
    });
    pm2Sync(env, ['start', 'deploy/ecosystem.config.cjs']);
    const base = `http://127.0.0.1:${port}`;
    let statuses: string[] = [];
    const online = await until(() => {
      statuses = procs(env).map((p) => p.pm2_env.status);
      return statuses.filter((s) => s === 'online').length === 2;
    }, 60_000);
    expect(online, `two instances online (${statuses.join(', ')}): ${pm2Sync(env, ['logs', '--nostream', '--lines', '20'])}`).toBe(true);
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready = (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200;
      if (!ready) await sleep(100);
    }
    expect(ready).toBe(true);
    const before = procs(env);
    expect(before.map((p) => p.pm2_env.exec_mode)).toEqual(['cluster_mode', 'cluster_mode']);

    const load = await SdkLoad.start({ baseUrl: base, users: 6, sendEveryMs: 120, seed: 18, userPrefix: 'pm' });
    onCleanup(() => load.dispose());
    load.startSending();
    await sleep(1500);
    const t0 = Date.now();
    const reload = await pm2Async(env, ['reload', 'miniim']);
    const reloadMs = Date.now() - t0;
    expect(reload.code, reload.out).toBe(0);
    await sleep(1500);
    await load.stopSending();
    expect(await until(() => load.allConnected(), 20_000), 'every client connected again').toBe(true);

    const after = procs(env);
    expect(after.filter((p) => p.pm2_env.status === 'online')).toHaveLength(2);
    // Both processes were replaced.
    expect(after.map((p) => p.pid).filter((pid) => before.some((b) => b.pid === pid))).toEqual([]);

    // No forced reconnect: the instances share the Redis bus, so what each client has must already be
    // complete — every acked message exactly once in its sender's and its recipient's store.
    const r = await load.verify({ storeWaitMs: 10_000 });
    console.log(`[pm2 reload] ${reloadMs} ms; ${JSON.stringify({ ...r, failedSends: r.failedSends.length })}`);
    expect(r.acked).toBeGreaterThan(30);
    expect(r.failedSends).toEqual([]);
    expect(r.lost).toEqual([]);
    expect(r.duplicated).toEqual([]);
    expect(r.notOnceInStores).toEqual([]);
    expect(r.mismatches).toEqual([]);
    expect(r.sessionEnded).toEqual([]);
    expect(r.refreshes).toBe(0);
    expect(r.logins).toBe(6);
    // Every client sat on one of the two replaced processes: each was moved by a 1012 close.
    expect(r.clientsReconnected).toBe(6);
    expect(Object.keys(r.reconnectCodes)).toContain('1012');
  });
});
