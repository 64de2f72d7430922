/** Chooses the storage backend from config, in one place. */
import path from 'node:path';
import type { Config } from '../config/config.js';
import { openSqliteStorage } from './sqlite-storage.js';
import type { Storage } from './storage.js';

export async function createStorage(config: Config): Promise<Storage> {
  const url = config.databaseUrl;
  if (!url) return openSqliteStorage(path.join(config.dataDir, 'miniim.sqlite'));
  if (url.startsWith('sqlite:')) return openSqliteStorage(url.slice('sqlite:'.length).replace(/^\/\//, ''));
  throw new Error(`DATABASE_URL: unsupported scheme in ${url.split(':')[0]}: (supported: sqlite:)`);
}
