/** Chooses the storage backend from config, in one place. */
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { CheckpointResult } from './sqlite-checkpointer.js';
import { openSqliteStorage } from './sqlite-storage.js';
import type { Storage } from './storage.js';

export async function createStorage(config: Config, logger?: Logger): Promise<Storage> {
  const url = config.databaseUrl;
  const file = !url ? path.join(config.dataDir, 'miniim.sqlite') : url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\//, '') : undefined;
  if (file === undefined) throw new Error(`DATABASE_URL: unsupported scheme in ${url?.split(':')[0]}: (supported: sqlite:)`);
  return openSqliteStorage(file, { checkpoint: { onCheckpoint: checkpointLog(logger) } });
}

/** Logs the first failed checkpoint of a run of failures, and the recovery: once each. */
function checkpointLog(logger: Logger | undefined): (r: CheckpointResult) => void {
  let failing = false;
  return (r) => {
    if (!r.ok && !failing) {
      failing = true;
      logger?.warn(
        { error: r.error },
        'WAL checkpoint on the worker thread failed; SQLite checkpoints on the main thread past 10,000 pages until it works again',
      );
    } else if (r.ok && failing) {
      failing = false;
      logger?.info('WAL checkpoints on the worker thread work again');
    }
  };
}
