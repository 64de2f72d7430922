/** PostgreSQL driver entry: `postgres://` / `postgresql://` URLs; pool size and time limits from config. */
import pg from 'pg';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../logger.js';
import type { StorageDriver } from '../storage-driver.js';
import { redactUrl, StorageUnavailableError } from '../storage-errors.js';
import { openPostgresSchema, openPostgresStorage } from './postgres-storage.js';

/** BIGINT (timestamps, seqs, counts) as JS numbers: every value MiniIM stores fits in 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A pool that has reached the server once (so an unreachable database is one clear line at start). */
async function connect(url: string, config: Config, logger: Logger | undefined): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: config.dbPool,
    statement_timeout: config.dbStatementTimeoutMs,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    idleTimeoutMillis: 30_000,
    types,
  });
  watchPool(pool, url, logger);
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => {});
    throw new StorageUnavailableError(`DATABASE_URL: cannot reach PostgreSQL at ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
  }
  return pool;
}

export const postgresDriver: StorageDriver = {
  schemes: ['postgres:', 'postgresql:'],
  async open(url, config, logger, migrate) {
    const pool = await connect(url!, config, logger);
    return openPostgresStorage(pool, { migrate, logger });
  },
  async openSchema(url, config) {
    return openPostgresSchema(await connect(url!, config, undefined));
  },
};

/** An idle connection that drops (server restart, network) must not crash the process: log it once per outage. */
function watchPool(pool: pg.Pool, url: string, logger: Logger | undefined): void {
  let down = false;
  pool.on('error', (err) => {
    if (down) return;
    down = true;
    logger?.error({ err: err.message, url: redactUrl(url) }, 'PostgreSQL connection lost; requests answer unavailable until it is back');
  });
  pool.on('connect', () => {
    if (!down) return;
    down = false;
    logger?.info({ url: redactUrl(url) }, 'PostgreSQL reachable again');
  });
}
