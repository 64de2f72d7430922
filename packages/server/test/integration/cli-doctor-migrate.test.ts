/**
 * `miniim doctor` and `miniim migrate` (issue 17 item 6) against real SQLite, PostgreSQL and
 * Redis and the fake WeChat server: one line per check with a fix hint, exit 1 on a failure;
 * migrations run explicitly, and a server started with MINIIM_MIGRATE_AT_START=0 refuses a
 * database that is behind.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/app.js';
import { runDoctor } from '../../src/cli/doctor.js';
import { runMigrate } from '../../src/cli/migrate.js';
import { SchemaBehindError } from '../../src/storage/schema.js';
import { freshDatabase, serviceAvailable } from '../support/databases.js';
import { FakeWechat } from '../support/fake-wechat.js';
import { REPO_ROOT } from '../support/process.js';
import { REDIS_URL, redisAvailable } from '../support/redis.js';
import { onCleanup, tempDir } from '../support/server.js';

const APP_ID = 'wxdoctor000000000001';

async function run(fn: typeof runDoctor, env: Record<string, string>): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await fn({ env, out: (l) => lines.push(...l.split('\n')) });
  return { code, lines };
}

/** The line of a check (`ok    database  …`). */
function line(lines: string[], check: string): string {
  const found = lines.find((l) => l.slice(6).startsWith(check));
  if (!found) throw new Error(`no ${check} line in:\n${lines.join('\n')}`);
  return found;
}

async function fakeWechat(): Promise<FakeWechat> {
  const fake = await FakeWechat.start();
  onCleanup(() => fake.close());
  fake.apps.set(APP_ID, 'right-secret');
  return fake;
}

describe('miniim doctor', () => {
  it('passes every check on a working SQLite node with WeChat, and fails with a fix hint on a wrong AppSecret', async () => {
    const fake = await fakeWechat();
    const dir = tempDir();
    const env = { MINIIM_DATA_DIR: dir, MINIIM_WECHAT_APPID: APP_ID, MINIIM_WECHAT_SECRET: 'right-secret', MINIIM_WECHAT_API_BASE: fake.baseUrl };
    // A fresh SQLite file has every migration pending until something opens it with migrations on.
    expect(await run(runMigrate, env)).toMatchObject({ code: 0 });
    const good = await run(runDoctor, env);
    expect(good.code, good.lines.join('\n')).toBe(0);
    expect(line(good.lines, 'config')).toMatch(/^ok {4}config {6}development; database sqlite in /);
    expect(line(good.lines, 'database')).toMatch(/^ok .*sqlite reachable/);
    expect(line(good.lines, 'migrations')).toMatch(/^ok .*up to date \(\d+ applied\)/);
    expect(line(good.lines, 'redis')).toMatch(/^skip .*REDIS_URL not set/);
    expect(line(good.lines, 'wechat')).toMatch(new RegExp(`^ok .*${APP_ID}: access token fetched`));
    expect(line(good.lines, 'media')).toMatch(/^ok .*local store: wrote, read back and deleted/);
    expect(good.lines.at(-1)).toBe('miniim doctor: all checks passed');
    expect(fake.calls('stable_token').at(-1)?.body).toMatchObject({ appid: APP_ID, force_refresh: false });

    const bad = await run(runDoctor, { ...env, MINIIM_WECHAT_SECRET: 'wrong-secret' });
    expect(bad.code).toBe(1);
    const i = bad.lines.indexOf(line(bad.lines, 'wechat'));
    expect(bad.lines[i]).toMatch(/^FAIL .*40125/);
    expect(bad.lines[i + 1]).toMatch(/fix: the AppSecret is wrong/);
    expect(bad.lines.at(-1)).toBe('miniim doctor: some checks failed');
  });

  it('names an invalid config and skips the rest', async () => {
    const r = await run(runDoctor, { MINIIM_DATA_DIR: tempDir(), MINIIM_HEARTBEAT_MS: 'soon' });
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatch(/^FAIL {2}config {6}invalid config MINIIM_HEARTBEAT_MS/);
    expect(r.lines[1]).toMatch(/fix: set the variable named above/);
    expect(r.lines.some((l) => l.includes('database'))).toBe(false);
  });

  it('fails on an unreachable WeChat API, an unreachable Redis and an unwritable media dir', async () => {
    const dir = tempDir();
    const env = {
      MINIIM_DATA_DIR: dir,
      MINIIM_WECHAT_APPID: APP_ID,
      MINIIM_WECHAT_SECRET: 's',
      MINIIM_WECHAT_API_BASE: 'http://127.0.0.1:9',
      REDIS_URL: 'redis://127.0.0.1:9',
      MINIIM_MEDIA_STORE: 'local',
    };
    await run(runMigrate, env);
    const { chmodSync, mkdirSync } = await import('node:fs');
    mkdirSync(`${dir}/media`, { recursive: true });
    chmodSync(`${dir}/media`, 0o500);
    onCleanup(() => chmodSync(`${dir}/media`, 0o700));
    const r = await run(runDoctor, env);
    expect(r.code).toBe(1);
    expect(line(r.lines, 'redis')).toMatch(/^FAIL .*redis:\/\/127\.0\.0\.1:9/);
    expect(line(r.lines, 'wechat')).toMatch(/^FAIL .*WeChat unreachable/);
    // root can write anywhere: the media check only fails for other users.
    if (process.getuid?.() !== 0) expect(line(r.lines, 'media')).toMatch(/^FAIL /);
  });

  it('checks Redis', async (ctx) => {
    if (!(await redisAvailable())) return ctx.skip();
    const dir = tempDir();
    await run(runMigrate, { MINIIM_DATA_DIR: dir });
    const r = await run(runDoctor, { MINIIM_DATA_DIR: dir, REDIS_URL });
    expect(line(r.lines, 'redis')).toMatch(/^ok .*answers PONG \(Redis \d/);
    expect(r.code).toBe(0);
  });

  it('as the real CLI: exits 1 and prints the database line for an unreachable PostgreSQL', { timeout: 60_000 }, async () => {
    const { code, stdout } = await cli(['doctor'], {
      MINIIM_DATA_DIR: tempDir(),
      DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:9/none',
      MINIIM_DB_CONNECT_TIMEOUT_MS: '1000',
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL {2}database {4}DATABASE_URL: cannot reach PostgreSQL/m);
    expect(stdout).not.toContain('secret');
    expect(stdout).toMatch(/^skip {2}migrations {2}database unreachable/m);
  });
});

describe('miniim migrate and MINIIM_MIGRATE_AT_START=0', () => {
  for (const backend of ['sqlite', 'postgres'] as const) {
    it(`on ${backend}: a server that does not migrate refuses a database that is behind; migrate brings it up to date once`, async (ctx) => {
      if (backend === 'postgres' && !(await serviceAvailable('postgres'))) return ctx.skip();
      const dir = tempDir();
      const env: Record<string, string> = { MINIIM_DATA_DIR: dir, MINIIM_LOG_LEVEL: 'silent' };
      if (backend === 'postgres') env.DATABASE_URL = await freshDatabase('postgres');
      const overrides = { port: 0, host: '127.0.0.1', migrateAtStart: false };
      const refused = await createServer({ env, overrides }).catch((e) => e);
      expect(refused).toBeInstanceOf(SchemaBehindError);
      expect(refused.message).toMatch(/pending migrations: 0001_\w+.*run `miniim migrate`/);

      const before = await run(runDoctor, env);
      expect(line(before.lines, 'migrations')).toMatch(/^FAIL .*pending: 0001_/);
      expect(before.code).toBe(1);

      const first = await run(runMigrate, env);
      expect(first.code).toBe(0);
      expect(first.lines[0]).toMatch(/^applied 0001_/);
      expect(first.lines.at(-1)).toMatch(new RegExp(`^miniim migrate: ${backend} schema is up to date \\(\\d+ applied now`));
      const again = await run(runMigrate, env);
      expect(again.lines).toEqual([expect.stringMatching(new RegExp(`^miniim migrate: ${backend} schema is up to date \\(\\d+ migrations applied\\)`))]);

      const server = await createServer({ env, overrides });
      onCleanup(() => server.close());
      await server.listen();
      expect(await server.storage.schema?.status()).toMatchObject({ pending: [] });
    });
  }

  it('as the real CLI (npm run migrate)', async () => {
    const dir = tempDir();
    const r = await cli(['migrate'], { MINIIM_DATA_DIR: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/applied 0001_/);
    const unknown = await cli(['frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"\nusage: miniim \[serve \| migrate \| doctor \| help\]/);
  }, 90_000);
});

/** Runs `tsx src/main.ts <args>` and collects its output. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
