/**
 * `miniim doctor`: checks what a node needs before it can serve, one line per check with a
 * fix hint, exit code 1 when any check fails. It changes nothing: migrations are only
 * reported, the WeChat check fetches a stable access token without force_refresh (which
 * leaves the token the running servers use valid), the media check writes one small
 * object and deletes it.
 */
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createMedia, newMediaKey } from '../media/index.js';

import { loadServerConfig, type ServerConfig } from '../server-config.js';
import { openSchema, storageDriverFor } from '../storage/registry.js';
import type { OpenSchema } from '../storage/schema.js';
import { redactUrl } from '../storage/storage-errors.js';
import { WechatApi } from '../wechat/wechat-api.js';
import { WechatApiError } from '../wechat/wechat-errors.js';
import type { CliIo } from './migrate.js';

type Outcome = { status: 'ok' | 'skip'; detail: string } | { status: 'FAIL'; detail: string; fix: string };

const ok = (detail: string): Outcome => ({ status: 'ok', detail });
const skip = (detail: string): Outcome => ({ status: 'skip', detail });
const fail = (detail: string, fix: string): Outcome => ({ status: 'FAIL', detail, fix });

const silent = pino({ level: 'silent' });

/** WeChat errcodes a misconfigured app gets, and what to do. */
const WECHAT_FIXES: Record<number, string> = {
  40013: 'the AppID is wrong: copy it from the mini-program admin (开发管理 → 开发设置)',
  40125: 'the AppSecret is wrong or was reset: set MINIIM_WECHAT_SECRET to the current one',
  40164: "this machine's IP is not on the API IP allow-list (开发管理 → 开发设置 → IP白名单)",
  41004: 'the AppSecret is missing: set MINIIM_WECHAT_SECRET',
  45009: 'the daily quota of token requests is used up: wait, or reuse the token the servers hold',
};

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Returns the exit code. */
export async function runDoctor(io: CliIo): Promise<number> {
  let failed = false;
  const report = (name: string, o: Outcome) => {
    if (o.status === 'FAIL') failed = true;
    io.out(`${o.status.padEnd(4)}  ${name.padEnd(10)}  ${o.detail}${o.status === 'FAIL' ? `\n      fix: ${o.fix}` : ''}`);
  };

  let config: ServerConfig;
  try {
    config = loadServerConfig(io.env);
  } catch (e) {
    report('config', fail(message(e), 'set the variable named above (README: configuration), then run `miniim doctor` again'));
    io.out('skipped the other checks: they need a valid config');
    return 1;
  }
  const where = config.databaseUrl ? redactUrl(config.databaseUrl) : `sqlite in ${config.dataDir}`;
  report('config', ok(`${config.production ? 'production' : 'development'}; database ${where}; bus ${config.redisUrl ? 'redis' : 'local'}`));

  const kind = storageDriverFor(config.databaseUrl).schemes[0]!.replace(':', '');
  let schema: OpenSchema | undefined;
  try {
    schema = await openSchema(config);
    report('database', ok(`${kind} reachable`));
  } catch (e) {
    report('database', fail(message(e), 'check DATABASE_URL (host, port, user, password, database) and that the server accepts connections from here'));
  }
  if (schema) {
    try {
      const { applied, pending } = await schema.status();
      if (pending.length === 0) report('migrations', ok(`up to date (${applied.length} applied)`));
      else report('migrations', fail(`${pending.length} pending: ${pending.join(', ')}`, 'run `miniim migrate` (or start with MINIIM_MIGRATE_AT_START=1)'));
    } catch (e) {
      report('migrations', fail(message(e), 'the database user must be able to read the migration tables'));
    }
    await schema.close().catch(() => {});
  } else report('migrations', skip('database unreachable'));

  report('redis', await checkRedis(config));
  for (const app of config.wechat.apps) report('wechat', await checkWechat(config, app.appId, app.secret));
  if (config.wechat.apps.length === 0) report('wechat', skip('no mini-program configured (MINIIM_WECHAT_APPID)'));
  report('media', await checkMedia(config));
  io.out(failed ? 'miniim doctor: some checks failed' : 'miniim doctor: all checks passed');
  return failed ? 1 : 0;
}

async function checkRedis(config: ServerConfig): Promise<Outcome> {
  if (!config.redisUrl) return skip('REDIS_URL not set (single node, in-process bus)');
  const r = new Redis(config.redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    const pong = await r.ping();
    const info = await r.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    return ok(`${redactUrl(config.redisUrl)} answers ${pong} (Redis ${version})`);
  } catch (e) {
    return fail(`${redactUrl(config.redisUrl)}: ${message(e)}`, 'check REDIS_URL and that Redis runs and accepts connections from here');
  } finally {
    r.disconnect();
  }
}

async function checkWechat(config: ServerConfig, appId: string, secret: string): Promise<Outcome> {
  const api = new WechatApi({ apiBase: config.wechat.apiBase, timeoutMs: config.wechat.timeoutMs });
  try {
    const t = await api.getStableAccessToken(appId, secret, false);
    return ok(`${appId}: access token fetched (valid ${t.expires_in} s)`);
  } catch (e) {
    if (e instanceof WechatApiError) {
      return fail(`${appId}: ${e.message}`, WECHAT_FIXES[e.errcode] ?? 'see the errcode in the WeChat API documentation (获取稳定版接口调用凭据)');
    }
    return fail(`${appId}: ${message(e)}`, `check that ${config.wechat.apiBase ?? 'api.weixin.qq.com'} is reachable from here (DNS, proxy, firewall)`);
  }
}

async function checkMedia(config: ServerConfig): Promise<Outcome> {
  const probe = Buffer.from(`miniim doctor ${Date.now()}`);
  const key = newMediaKey('txt');
  let store: Awaited<ReturnType<typeof createMedia>>['store'] | undefined;
  try {
    store = (await createMedia(config, silent)).store;
    await store.put(key, Readable.from([probe]), { contentType: 'text/plain' });
    const chunks: Buffer[] = [];
    for await (const c of await store.read(key)) chunks.push(c as Buffer);
    await store.delete(key);
    if (!Buffer.concat(chunks).equals(probe))
      return fail(`${store.type} store gave back other bytes than were written`, 'check the store (disk or bucket) for corruption');
    return ok(`${store.type} store: wrote, read back and deleted ${probe.length} bytes`);
  } catch (e) {
    const fix =
      config.mediaStore === 's3'
        ? 'check MINIIM_S3_ENDPOINT, MINIIM_S3_BUCKET and the access key (it needs put, get and delete on the bucket)'
        : `check that ${config.dataDir}/media is writable by this user`;
    return fail(`${config.mediaStore} store: ${message(e)}`, fix);
  } finally {
    await store?.close?.().catch(() => {});
  }
}
