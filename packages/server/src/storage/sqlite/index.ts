/** SQLite driver entry: `sqlite:<path>`, or `<dataDir>/miniim.sqlite` when no DATABASE_URL is set. */
import path from 'node:path';
import type { Logger } from '../../logger.js';
import type { StorageDriver } from '../storage-driver.js';
import type { CheckpointResult } from './sqlite-checkpointer.js';
import { openSqliteSchema, openSqliteStorage } from './sqlite-storage.js';

export const sqliteDriver: StorageDriver = {
  schemes: ['sqlite:'],
  open(url, config, logger, migrate) {
    return openSqliteStorage(sqliteFile(url, config.dataDir), { checkpoint: { onCheckpoint: checkpointLog(logger) }, migrate, logger });
  },
  async openSchema(url, config) {
    return openSqliteSchema(sqliteFile(url, config.dataDir));
  },
};

function sqliteFile(url: string | undefined, dataDir: string): string {
  return url ? url.slice('sqlite:'.length).replace(/^\/\//, '') : path.join(dataDir, 'miniim.sqlite');
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
