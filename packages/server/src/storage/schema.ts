/**
 * Schema migrations, the same for every backend (each folder has its append-only list,
 * run by Kysely's Migrator): run at start (default), or only checked at start — a
 * deployment that migrates explicitly (`miniim migrate`, MINIIM_MIGRATE_AT_START=0) is
 * refused with one line when the database is behind. `miniim migrate` and `miniim doctor`
 * open only the schema (StorageDriver.openSchema), never a storage over a schema that is behind.
 */
import type { Migrator } from 'kysely';
import type { Logger } from '../logger.js';
import { StorageUnavailableError } from './storage-errors.js';

/** At open: `apply` pending migrations, or `verify` there are none. */
export type MigrateMode = 'apply' | 'verify';

export interface SchemaStatus {
  applied: string[];
  pending: string[];
}

/** The database's migration state, and a way to bring it up to date. */
export interface SchemaManager {
  status(): Promise<SchemaStatus>;
  /** Runs every pending migration; resolves with the names run (in order). */
  migrate(): Promise<string[]>;
}

/** A schema opened on its own (connection included): close it when done. */
export interface OpenSchema extends SchemaManager {
  close(): Promise<void>;
}

/** Thrown at open (mode `verify`) when migrations are pending. */
export class SchemaBehindError extends StorageUnavailableError {
  constructor(readonly pending: string[]) {
    super(`database schema is behind (pending migrations: ${pending.join(', ')}): run \`miniim migrate\`, or start with MINIIM_MIGRATE_AT_START=1`);
    this.name = 'SchemaBehindError';
  }
}

export function schemaManager(migrator: Migrator): SchemaManager {
  return {
    async status() {
      const all = await migrator.getMigrations();
      return { applied: all.filter((m) => m.executedAt).map((m) => m.name), pending: all.filter((m) => !m.executedAt).map((m) => m.name) };
    },
    async migrate() {
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
  };
}

/**
 * Brings the schema to the state `mode` asks for (see MigrateMode). Migrations it applies are logged
 * before they start and once done: one may rewrite a large table (SQLite 0007: seconds per million
 * messages), and an operator watching a slow start should see why.
 */
export async function prepareSchema(schema: SchemaManager, mode: MigrateMode, logger?: Logger): Promise<void> {
  if (mode === 'apply') {
    const { pending } = logger ? await schema.status() : { pending: [] };
    const started = Date.now();
    if (pending.length > 0) logger?.info({ pending }, 'applying database migrations');
    const applied = await schema.migrate();
    if (applied.length > 0) logger?.info({ applied, ms: Date.now() - started }, 'database migrations applied');
  } else {
    const { pending } = await schema.status();
    if (pending.length > 0) throw new SchemaBehindError(pending);
  }
}
