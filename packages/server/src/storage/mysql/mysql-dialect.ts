/** MySQL/MariaDB's own statements for the shared Kysely repositories (INSERT IGNORE, ON DUPLICATE KEY, JSON_CONTAINS). */
import { sql } from 'kysely';
import type { SqlDialect } from '../kysely/sql-dialect.js';

export const mysqlDialect: SqlDialect = {
  async insertIgnore(db, table, rows) {
    await db
      .insertInto(table)
      .ignore()
      .values(rows as never)
      .execute();
  },

  async upsert(db, table, row, _keys, update, keep = []) {
    const set: Record<string, unknown> = {};
    for (const c of update) set[c] = sql`values(${sql.ref(c)})`;
    for (const c of keep) set[c] = sql`coalesce(values(${sql.ref(c)}), ${sql.ref(c)})`;
    await db
      .insertInto(table)
      .values(row as never)
      .onDuplicateKeyUpdate(set as never)
      .execute();
  },

  // The row stays locked from the upsert to the read, so the balance returned is this add's.
  addCredits(db, userId, templateId, count) {
    return db.transaction().execute(async (trx) => {
      await trx
        .insertInto('subscribe_credits')
        .values({ user_id: userId, template_id: templateId, credits: count })
        .onDuplicateKeyUpdate({ credits: sql`credits + values(credits)` })
        .execute();
      const r = await trx
        .selectFrom('subscribe_credits')
        .select('credits')
        .where('user_id', '=', userId)
        .where('template_id', '=', templateId)
        .executeTakeFirstOrThrow();
      return Number(r.credits);
    });
  },

  // Insert-or-skip, then a conditional update: each statement is atomic, and of two racing claims one wins.
  async claimThrottle(db, userId, conv, windowMs, at) {
    const ins = await db.insertInto('notify_throttle').ignore().values({ user_id: userId, conv, claimed_at: at }).executeTakeFirst();
    if (Number(ins.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    const upd = await db
      .updateTable('notify_throttle')
      .set({ claimed_at: at })
      .where('user_id', '=', userId)
      .where('conv', '=', conv)
      .where(sql<boolean>`${at} - claimed_at >= ${windowMs}`)
      .executeTakeFirst();
    return Number(upd.numUpdatedRows) === 1;
  },

  mentions(userId) {
    return sql<boolean>`(coalesce(json_contains(body, 'true', '$.mentionAll'), 0) = 1 OR coalesce(json_contains(body, json_quote(${userId}), '$.mentions'), 0) = 1)`;
  },
};
