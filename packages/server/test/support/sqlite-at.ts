/** A SQLite database file migrated up to a given migration (to test what later migrations do to its rows). */
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { expect } from 'vitest';
import { sqliteMigrations } from '../../src/storage/sqlite/sqlite-migrations.js';

/** Opens `file` migrated to `migration`; `close()` releases it before the storage opens the file. */
export async function sqliteAt(file: string, migration: string): Promise<{ db: Database.Database; close(): Promise<void> }> {
  const db = new Database(file);
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: db }) });
  const migrator = new Migrator({ db: kysely, provider: { getMigrations: async () => sqliteMigrations } });
  expect((await migrator.migrateTo(migration)).error).toBeUndefined();
  return { db, close: () => kysely.destroy() };
}
