/** MySQL/MariaDB driver entry: `mysql://` (and `mariadb://`) URLs; pool size and time limits from config. */
import mysql from 'mysql2';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../logger.js';
import type { StorageDriver } from '../storage-driver.js';
import { redactUrl, StorageUnavailableError } from '../storage-errors.js';
import { openMysqlSchema, openMysqlStorage } from './mysql-storage.js';

/** A pool that has reached the server once (so an unreachable database is one clear line at start). */
async function connect(url: string, config: Config, logger: Logger | undefined): Promise<mysql.Pool> {
  const u = new URL(url);
  u.protocol = 'mysql:';
  const pool = mysql.createPool({
    uri: u.toString(),
    connectionLimit: config.dbPool,
    connectTimeout: config.dbConnectTimeoutMs,
    charset: 'UTF8MB4_BIN',
    // Timestamps, seqs and counts are BIGINT; every value MiniIM stores fits in 2^53.
    supportBigNumbers: true,
    bigNumberStrings: false,
    enableKeepAlive: true,
  });
  const limitSec = config.dbStatementTimeoutMs / 1000;
  pool.on('connection', (conn) => {
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    // MariaDB: max_statement_time (seconds, every statement); MySQL: max_execution_time (ms, SELECTs).
    conn.query('SET SESSION max_statement_time = ?', [limitSec], (err) => {
      if (err) conn.query('SET SESSION max_execution_time = ?', [config.dbStatementTimeoutMs], () => {});
    });
  });
  watchPool(pool, url, logger);
  try {
    await pool.promise().query('SELECT 1');
  } catch (e) {
    await pool
      .promise()
      .end()
      .catch(() => {});
    throw new StorageUnavailableError(`DATABASE_URL: cannot reach MySQL at ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
  }
  return pool;
}

export const mysqlDriver: StorageDriver = {
  schemes: ['mysql:', 'mariadb:'],
  async open(url, config, logger, migrate) {
    const pool = await connect(url!, config, logger);
    return openMysqlStorage(pool, { appendConcurrency: Math.max(1, Math.min(2, config.dbPool - 2)), migrate, logger });
  },
  async openSchema(url, config) {
    return openMysqlSchema(await connect(url!, config, undefined));
  },
};

/** A connection that drops (server restart, network) must not crash the process: log it once per outage. */
function watchPool(pool: mysql.Pool, url: string, logger: Logger | undefined): void {
  let down = false;
  pool.on('connection', (conn) => {
    if (down) {
      down = false;
      logger?.info({ url: redactUrl(url) }, 'MySQL reachable again');
    }
    conn.on('error', (err) => {
      if (down) return;
      down = true;
      logger?.error({ err: err.message, url: redactUrl(url) }, 'MySQL connection lost; requests answer unavailable until it is back');
    });
  });
}
