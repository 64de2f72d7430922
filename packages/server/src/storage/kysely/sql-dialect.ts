/**
 * The few statements where PostgreSQL and MySQL/MariaDB need their own SQL (upserts,
 * insert-or-skip, JSON), given to the shared Kysely repositories by each driver.
 */
import type { Expression, Insertable, Kysely, SqlBool } from 'kysely';
import type { Database } from '../rows.js';

export type Db = Kysely<Database>;

export interface SqlDialect {
  /** Inserts the rows, skipping those whose primary/unique key already exists. */
  insertIgnore<T extends keyof Database & string>(db: Db, table: T, rows: Insertable<Database[T]>[]): Promise<void>;
  /** Inserts the row or, when its key exists, sets `update` (column → new value; `keep` columns keep a non-null old value when the new one is null). */
  upsert<T extends keyof Database & string>(
    db: Db,
    table: T,
    row: Insertable<Database[T]>,
    keys: readonly (keyof Database[T] & string)[],
    update: readonly (keyof Database[T] & string)[],
    keep?: readonly (keyof Database[T] & string)[],
  ): Promise<void>;
  /** Adds `count` credits atomically; returns the new balance. */
  addCredits(db: Db, userId: string, templateId: string, count: number): Promise<number>;
  /** Claims the (user, conv) slot unless it was claimed less than `windowMs` before `at`; true when claimed. */
  claimThrottle(db: Db, userId: string, conv: string, windowMs: number, at: number): Promise<boolean>;
  /** `messages.body` (JSON text) mentions `userId` or everyone. */
  mentions(userId: string): Expression<SqlBool>;
}
