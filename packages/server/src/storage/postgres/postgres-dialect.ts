/** PostgreSQL's own statements for the shared Kysely repositories (ON CONFLICT, RETURNING, jsonb). */
import { sql } from 'kysely';
import type { SqlDialect } from '../kysely/sql-dialect.js';

export const postgresDialect: SqlDialect = {
  async insertIgnore(db, table, rows) {
    await db
      .insertInto(table)
      .values(rows as never)
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async upsert(db, table, row, keys, update, keep = []) {
    const set: Record<string, unknown> = {};
    for (const c of update) set[c] = sql.ref(`excluded.${c}`);
    for (const c of keep) set[c] = sql`coalesce(${sql.ref(`excluded.${c}`)}, ${sql.ref(`${table}.${c}`)})`;
    await db
      .insertInto(table)
      .values(row as never)
      .onConflict((oc) => oc.columns(keys as never).doUpdateSet(set as never))
      .execute();
  },

  async addCredits(db, userId, templateId, count) {
    const r = await db
      .insertInto('subscribe_credits')
      .values({ user_id: userId, template_id: templateId, credits: count })
      .onConflict((oc) => oc.columns(['user_id', 'template_id']).doUpdateSet({ credits: sql`subscribe_credits.credits + excluded.credits` }))
      .returning('credits')
      .executeTakeFirstOrThrow();
    return Number(r.credits);
  },

  async claimThrottle(db, userId, conv, windowMs, at) {
    const r = await db
      .insertInto('notify_throttle')
      .values({ user_id: userId, conv, claimed_at: at })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'conv'])
          .doUpdateSet({ claimed_at: sql`excluded.claimed_at` })
          .where(sql<boolean>`excluded.claimed_at - notify_throttle.claimed_at >= ${windowMs}`),
      )
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  mentions(userId) {
    return sql<boolean>`(coalesce((body::jsonb ->> 'mentionAll')::boolean, false) OR coalesce(body::jsonb -> 'mentions' ? ${userId}, false))`;
  },
};
