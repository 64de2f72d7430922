/** Chooses the storage backend by the scheme of DATABASE_URL, in one place. */
import { type Config, ConfigError } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { MigrateMode, OpenSchema } from './schema.js';
import { sqliteDriver } from './sqlite/index.js';
import type { Storage } from './storage.js';
import type { StorageDriver } from './storage-driver.js';

/**
 * A driver whose folder (and client library: pg, mysql2) is imported only when its scheme is
 * used, so a SQLite node does not hold them (about 8 MB of RSS each, docs/benchmarks.md).
 */
function lazyDriver(schemes: readonly string[], load: () => Promise<StorageDriver>): StorageDriver {
  return {
    schemes,
    open: async (url, config, logger, migrate) => (await load()).open(url, config, logger, migrate),
    openSchema: async (url, config) => (await load()).openSchema(url, config),
  };
}

/** Every backend, by URL scheme; the first one is the default (no DATABASE_URL). */
const DRIVERS: readonly StorageDriver[] = [
  sqliteDriver,
  lazyDriver(['postgres:', 'postgresql:'], async () => (await import('./postgres/index.js')).postgresDriver),
  lazyDriver(['mysql:', 'mariadb:'], async () => (await import('./mysql/index.js')).mysqlDriver),
];

/** The driver serving `url`'s scheme (the default driver when `url` is undefined). */
export function storageDriverFor(url: string | undefined): StorageDriver {
  if (!url) return DRIVERS[0]!;
  const scheme = `${url.split(':')[0]!.toLowerCase()}:`;
  const driver = DRIVERS.find((d) => d.schemes.includes(scheme));
  if (!driver) {
    const supported = DRIVERS.flatMap((d) => d.schemes).join(', ');
    throw new ConfigError(`invalid config DATABASE_URL: unsupported scheme ${scheme} (supported: ${supported})`);
  }
  return driver;
}

/**
 * Opens the configured storage. Its schema is migrated at open, or only checked when
 * `migrateAtStart` is off (`migrate` overrides).
 */
export async function createStorage(config: Config & { migrateAtStart?: boolean }, logger?: Logger, migrate?: MigrateMode): Promise<Storage> {
  const mode = migrate ?? (config.migrateAtStart === false ? 'verify' : 'apply');
  return storageDriverFor(config.databaseUrl).open(config.databaseUrl, config, logger, mode);
}

/** The configured database's migrations alone (`miniim migrate`, `miniim doctor`); close it when done. */
export function openSchema(config: Config): Promise<OpenSchema> {
  return storageDriverFor(config.databaseUrl).openSchema(config.databaseUrl, config);
}
