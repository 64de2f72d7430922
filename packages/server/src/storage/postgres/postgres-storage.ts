/**
 * PostgreSQL backend (`pg` pool, Kysely for the shared repositories). The append path is
 * raw, prepared SQL on one pooled connection per batch, in one transaction:
 *   dedupe lookup (one statement) → lock and bump every conversation's counter of the
 *   batch (one statement, rows locked in conv order so processes cannot deadlock) →
 *   insert every message (one multi-row statement via unnest) → COMMIT.
 * Several batches are in flight over the pool; the ordered step of batch N (dedupe locks
 * and lookup, then counters) starts only after batch N-1 took its counters (which it
 * holds until it commits), so seqs follow batch order per conversation, and results
 * resolve in batch order. A (from, clientMsgId) is serialised across processes by a
 * transaction-scoped advisory lock taken before the lookup, so a resend racing its
 * original waits for it and comes back as the duplicate (no unique-violation retry).
 */
import { convKindOf, type Msg } from '@miniim/protocol';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { AppendOrder, assignSeqs, type BatchPlan, dedupeKey, planBatch, seqDemand } from '../kysely/batch-append.js';
import { KyselyStorage } from '../kysely/kysely-storage.js';
import { type Database, type MessageRowDb, rowToMsg } from '../rows.js';
import { type MigrateMode, type OpenSchema, prepareSchema, type SchemaManager, schemaManager } from '../schema.js';
import type { AppendResult, NewMessage } from '../storage.js';
import { postgresDialect } from './postgres-dialect.js';
import { postgresMigrations } from './postgres-migrations.js';

/** A transaction that lost a race the database detected (deadlock, serialization; a dedupe race as a safety net) is run again. */
function retryable(e: unknown): boolean {
  const { code, constraint } = e as { code?: string; constraint?: string };
  return code === '40P01' || code === '40001' || (code === '23505' && constraint === 'messages_dedupe');
}

const Q = {
  /** Serialises appends of one (from, clientMsgId) across processes: the second waits, then sees the first's row. */
  lockKeys: `SELECT pg_advisory_xact_lock(k) FROM (
               SELECT DISTINCT hashtextextended(f || chr(1) || c, 0) AS k FROM unnest($1::text[], $2::text[]) AS t(f, c) ORDER BY 1
             ) AS s`,
  dups: `SELECT m.* FROM messages m
         JOIN unnest($1::text[], $2::text[]) AS d(from_user, client_msg_id)
           ON m.from_user = d.from_user AND m.client_msg_id = d.client_msg_id`,
  bump: `WITH v AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(conv, n, ts)),
         l AS (SELECT c.conv FROM conversations c WHERE c.conv = ANY($1::text[]) ORDER BY c.conv FOR UPDATE)
         UPDATE conversations c SET last_seq = c.last_seq + v.n, updated_at = v.ts
         FROM v JOIN l ON l.conv = v.conv WHERE c.conv = v.conv
         RETURNING c.conv, c.last_seq`,
  convs: `INSERT INTO conversations (conv, kind, last_seq, updated_at)
          SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) ON CONFLICT DO NOTHING`,
  members: `INSERT INTO conv_members (user_id, conv, read_seq, joined_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) ON CONFLICT DO NOTHING`,
  refs: `INSERT INTO media_refs (conv, seq, media_key)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
  insert: `INSERT INTO messages (conv, seq, id, from_user, kind, body, ts, client_msg_id)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])`,
};

/** Kysely over the pool, and the migrations of the schema the URL's search_path picks. */
async function withSchema(pool: pg.Pool): Promise<{ db: Kysely<Database>; schema: SchemaManager }> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // The migration tables live in the schema the URL's search_path picks (Kysely looks in every schema otherwise).
  const { rows } = await pool.query<{ schema: string }>('SELECT current_schema() AS schema');
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => postgresMigrations },
    migrationTableSchema: rows[0]?.schema ?? 'public',
  });
  return { db, schema: schemaManager(migrator) };
}

export async function openPostgresStorage(pool: pg.Pool, opts: { appendConcurrency: number; migrate?: MigrateMode }): Promise<PostgresStorage> {
  const { db, schema } = await withSchema(pool);
  try {
    await prepareSchema(schema, opts.migrate ?? 'apply');
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return new PostgresStorage(db, pool, opts.appendConcurrency, schema);
}

/** The database's migrations alone; closing it ends the pool. */
export async function openPostgresSchema(pool: pg.Pool): Promise<OpenSchema> {
  const { db, schema } = await withSchema(pool);
  return { ...schema, close: () => db.destroy() };
}

export class PostgresStorage extends KyselyStorage {
  readonly kind = 'postgres';
  private readonly order = new AppendOrder(retryable);

  constructor(
    db: Kysely<Database>,
    private readonly pool: pg.Pool,
    readonly appendConcurrency: number,
    readonly schema?: SchemaManager,
  ) {
    super(db, postgresDialect);
  }

  appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]> {
    return this.order.run((myTurn, countersTaken) => this.appendOnce(items, myTurn, countersTaken));
  }

  private async appendOnce(items: readonly NewMessage[], prevCounters: Promise<void>, countersTaken: () => void): Promise<AppendResult[]> {
    const client = await this.pool.connect();
    let discard = false;
    try {
      await client.query('BEGIN');
      await prevCounters;
      const plan = await this.plan(client, items);
      if (plan.fresh.length > 0) {
        const first = await this.takeSeqs(client, plan.fresh);
        countersTaken();
        const rows = assignSeqs(plan, first);
        await client.query({
          name: 'miniim_append_insert',
          text: Q.insert,
          values: [
            rows.map((r) => r.conv),
            rows.map((r) => r.seq),
            rows.map((r) => r.id),
            rows.map((r) => r.from),
            rows.map((r) => r.kind),
            rows.map((r) => JSON.stringify(r.body)),
            rows.map((r) => r.ts),
            rows.map((r) => r.clientMsgId ?? null),
          ],
        });
        const refs = rows.flatMap((r) => (r.mediaKeys ?? []).map((key) => [r.conv, r.seq, key] as const));
        if (refs.length > 0) {
          await client.query({
            name: 'miniim_append_refs',
            text: Q.refs,
            values: [refs.map((x) => x[0]), refs.map((x) => x[1]), refs.map((x) => x[2])],
          });
        }
      }
      countersTaken();
      await client.query('COMMIT');
      return plan.results as AppendResult[];
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        discard = true;
      });
      throw e;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: the pool drops it.
      client.release(discard);
    }
  }

  /** Finds duplicates (stored, or earlier in the batch) and the items to store. */
  private async plan(client: pg.PoolClient, items: readonly NewMessage[]): Promise<BatchPlan> {
    const keyed = items.filter((it) => it.clientMsgId !== undefined);
    const stored = new Map<string, Msg>();
    if (keyed.length > 0) {
      const keys = [keyed.map((it) => it.from), keyed.map((it) => it.clientMsgId!)];
      await client.query({ name: 'miniim_append_lock', text: Q.lockKeys, values: keys });
      const r = await client.query<MessageRowDb>({ name: 'miniim_append_dups', text: Q.dups, values: keys });
      for (const row of r.rows) stored.set(dedupeKey(row.from_user, row.client_msg_id!), rowToMsg(row));
    }
    return planBatch(items, stored);
  }

  /** Bumps each conversation's counter once for the whole batch; returns conv → first new seq. Creates missing direct conversations. */
  private async takeSeqs(client: pg.PoolClient, fresh: BatchPlan['fresh']): Promise<Map<string, number>> {
    const { count, lastTs, members } = seqDemand(fresh);
    const first = new Map<string, number>();
    const bump = async (convs: string[]) => {
      const r = await client.query<{ conv: string; last_seq: number }>({
        name: 'miniim_append_bump',
        text: Q.bump,
        values: [convs, convs.map((c) => count.get(c)!), convs.map((c) => lastTs.get(c)!)],
      });
      for (const row of r.rows) first.set(row.conv, Number(row.last_seq) - count.get(row.conv)! + 1);
    };
    await bump([...count.keys()]);
    const missing = [...count.keys()].filter((c) => !first.has(c));
    if (missing.length > 0) {
      const ts = missing.map((c) => lastTs.get(c)!);
      await client.query({
        name: 'miniim_append_convs',
        text: Q.convs,
        values: [missing, missing.map(convKindOf), missing.map(() => 0), ts],
      });
      const pairs = missing.flatMap((c) => members.get(c)!.map((u) => [u, c, lastTs.get(c)!] as const));
      if (pairs.length > 0) {
        await client.query({
          name: 'miniim_append_members',
          text: Q.members,
          values: [pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.map(() => 0), pairs.map((p) => p[2])],
        });
      }
      await bump(missing);
    }
    return first;
  }
}
