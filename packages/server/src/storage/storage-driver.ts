/** What every storage backend folder exports as its factory entry (see registry.ts). */
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { Storage } from './storage.js';

export interface StorageDriver {
  /** URL schemes this driver serves, with the colon (`sqlite:`, `postgres:`). */
  readonly schemes: readonly string[];
  /** Opens the database named by `url` (undefined = the default location), migrated to the latest schema. */
  open(url: string | undefined, config: Config, logger?: Logger): Promise<Storage>;
}
