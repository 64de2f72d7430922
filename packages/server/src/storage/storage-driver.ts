/** What every storage backend folder exports as its factory entry (see registry.ts). */
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { MigrateMode, OpenSchema } from './schema.js';
import type { Storage } from './storage.js';

export interface StorageDriver {
  /** URL schemes this driver serves, with the colon (`sqlite:`, `postgres:`). */
  readonly schemes: readonly string[];
  /** Opens the database named by `url` (undefined = the default location); `migrate` says what happens to its schema. */
  open(url: string | undefined, config: Config, logger: Logger | undefined, migrate: MigrateMode): Promise<Storage>;
  /** Connects to the database only to read or run its migrations (`miniim migrate`, `miniim doctor`). */
  openSchema(url: string | undefined, config: Config): Promise<OpenSchema>;
}
