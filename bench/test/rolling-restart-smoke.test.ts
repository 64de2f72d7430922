/**
 * Smoke run of the rolling-restart scenario (bench/rolling-restart.ts), so it cannot rot: 2 nodes on
 * PostgreSQL + Redis behind a local nginx, 8 SDK clients in 2 generator processes, both nodes restarted
 * under load. Checks the JSON it writes: nothing acked lost or doubled, nobody logged out or logged in
 * again, every store in sync. Never asserts a time. Skips loudly without PostgreSQL, Redis or nginx
 * (fails under MINIIM_REQUIRE_SERVICES=1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findNginx } from '../../deploy/test/support/nginx.js';
import { serviceAvailable } from '../../packages/server/test/support/databases.js';
import { redisAvailable } from '../../packages/server/test/support/redis.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'miniim-rr-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('rolling-restart bench smoke', () => {
  it('restarts both nodes under load: 0 lost, 0 duplicated, 0 logouts, every store in sync', { timeout: 240_000 }, async () => {
    if (!(await serviceAvailable('postgres')) || !(await redisAvailable())) return;
    if (!findNginx()) {
      if (process.env.MINIIM_REQUIRE_SERVICES === '1') throw new Error('nginx is not installed');
      console.warn('SKIPPED rolling-restart smoke: nginx is not installed');
      return;
    }
    const args = ['--nodes', '2', '--clients', '8', '--workers', '2', '--send-every-ms', '300', '--out', out];
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/rolling-restart.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 220_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-4000)).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, 'latest-rolling-restart.json'), 'utf8'));
    expect(rep.scenario).toBe('rolling-restart');
    expect(rep.params).toMatchObject({ nodes: 2, clients: 8, workers: 2 });
    expect(rep.restarts).toHaveLength(2);
    expect(rep.acked).toBeGreaterThan(0);
    expect(rep).toMatchObject({ failedSends: 0, lost: 0, duplicated: 0, notOnceInStores: 0, storeMismatches: 0, logouts: 0, refreshes: 0, logins: 8 });
    expect(rep.inSyncAfterLastUpMs).not.toBeNull();
    expect(rep.clientsReconnected).toBe(8);
    // The last restart's timeline: every client it moved is back (hello); catch-ups are timed.
    const t = rep.lastRestart.timeline;
    expect(t.clients).toBeGreaterThan(0);
    expect(t.hello.n).toBe(t.clients);
    expect(t.synced.n).toBeGreaterThan(0);
    expect(rep.lastRestart.cpuMs.machine).toBeGreaterThan(0);
  });

  it('--help prints the usage and a misspelt option is refused, neither starts a run', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'bench/rolling-restart.ts', ...args, '--out', out], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/usage: npm run bench:rolling-restart -- \[--nodes 2\]/);
    const bad = run('--client', '5');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option --client/);
    expect(`${help.stdout}${bad.stdout}`).not.toMatch(/rolling-restart: \d+ nodes/);
  });
});
