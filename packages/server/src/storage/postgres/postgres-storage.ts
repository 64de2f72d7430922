/**
 * PostgreSQL backend (`pg` pool, Kysely for the shared repositories). A batch of messages
 * is ONE prepared statement, run as its own transaction (autocommit: its reply means
 * committed), whose CTEs
 *   look up stored duplicates of the batch's (from, clientMsgId) → number the rest per
 *   conversation → take every conversation's seqs in one upsert of the counters (rows
 *   locked in conv order, so processes cannot deadlock; a missing direct conversation is
 *   created, with its members) → insert every message.
 * The batch travels as JSON parameters (one `JSON.stringify`, no per-element array
 * encoding in the driver). Up to two batches of one storage instance are in flight at once
 * (the second once 32 messages wait), so a batch's WAL sync overlaps the next one's
 * statement. The statement takes a batch's counters and commits in one step, so nothing
 * tells when an earlier batch holds its row locks: a batch that shares a conversation with
 * an earlier one still in flight waits for it (seqs follow call order per conversation), and
 * the group committer does not form such batches (`appendDisjointConvs`). Results resolve in
 * call order. A resend racing its original in another process or batch hits the unique
 * dedupe index: the statement fails whole and runs again, and then finds the original.
 */
import { convKindOf, type Msg } from '@miniim/protocol';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Logger } from '../../logger.js';
import { AppendOrder, asStored, assignSeqs, duplicatesByItem, planBatch, seqDemand } from '../kysely/batch-append.js';
import { KyselyStorage } from '../kysely/kysely-storage.js';
import { type Database, type MessageRowDb, rowToMsg } from '../rows.js';
import { type MigrateMode, type OpenSchema, prepareSchema, type SchemaManager, schemaManager } from '../schema.js';
import type { AppendResult, NewMessage } from '../storage.js';
import { postgresDialect } from './postgres-dialect.js';
import { postgresMigrations } from './postgres-migrations.js';

/** A statement that lost a race the database detected (deadlock, serialization, a dedupe race) is run again. */
function retryable(e: unknown): boolean {
  const { code, constraint } = e as { code?: string; constraint?: string };
  return code === '40P01' || code === '40001' || (code === '23505' && constraint === 'messages_dedupe');
}

/**
 * $1: the batch (first copy of each (from, clientMsgId)) as [{o, conv, id, from_user, kind, body, ts, client_msg_id}];
 * $2: [{conv, kind}] of its conversations; $3: [{conv, user_id}], members to create a conversation with;
 * $4: [{o, media_key}], the blobs each message references.
 * Returns the stored duplicates (`o` set) and each conversation's new last seq (`o` null).
 *
 * The duplicate lookup is a LATERAL … LIMIT 1 per input row (at most one row matches: the dedupe
 * index is unique) so that every plan probes messages_dedupe. As a plain join, the generic plan
 * PostgreSQL caches for the prepared statement after five runs was costed on the table as it was
 * then — empty on a new database — and chose a hash join over a sequential scan of messages: every
 * batch read the whole table (seq_tup_read grew by the table's size per batch) until an autoanalyze
 * invalidated the plan, up to a minute later. Measured: 713 sequential scans reading 24 M rows in
 * a 7 s bench run; PostgreSQL's CPU per message doubled from the first second to the sixth.
 */
export const APPEND_STATEMENT = `
WITH input AS (
  SELECT * FROM json_to_recordset($1::json)
    AS t(o int, conv text, id text, from_user text, kind text, body text, ts bigint, client_msg_id text)
), dup AS (
  SELECT i.o, m.* FROM input i CROSS JOIN LATERAL (
    SELECT * FROM messages m WHERE m.from_user = i.from_user AND m.client_msg_id = i.client_msg_id LIMIT 1
  ) m
), fresh AS (
  SELECT i.*, row_number() OVER (PARTITION BY i.conv ORDER BY i.o) AS rn, count(*) OVER (PARTITION BY i.conv) AS n,
         first_value(i.ts) OVER (PARTITION BY i.conv ORDER BY i.o DESC) AS last_ts
  FROM input i WHERE NOT EXISTS (SELECT 1 FROM dup d WHERE d.o = i.o)
), counter AS (
  INSERT INTO conversations AS c (conv, kind, last_seq, updated_at)
  SELECT DISTINCT ON (f.conv) f.conv, k.kind, f.n, f.last_ts
  FROM fresh f JOIN json_to_recordset($2::json) AS k(conv text, kind text) ON k.conv = f.conv
  ORDER BY f.conv
  ON CONFLICT (conv) DO UPDATE SET last_seq = c.last_seq + excluded.last_seq, updated_at = excluded.updated_at
  RETURNING c.conv, c.last_seq, c.updated_at, c.xmax = 0 AS created
), member AS (
  INSERT INTO conv_members (user_id, conv, read_seq, joined_at)
  SELECT p.user_id, p.conv, 0, c.updated_at
  FROM json_to_recordset($3::json) AS p(conv text, user_id text) JOIN counter c ON c.conv = p.conv AND c.created
  ON CONFLICT DO NOTHING
), ins AS (
  INSERT INTO messages (conv, seq, id, from_user, kind, body, ts, client_msg_id)
  SELECT f.conv, c.last_seq - f.n + f.rn, f.id, f.from_user, f.kind, f.body, f.ts, f.client_msg_id
  FROM fresh f JOIN counter c ON c.conv = f.conv
), ref AS (
  INSERT INTO media_refs (conv, seq, media_key)
  SELECT f.conv, c.last_seq - f.n + f.rn, r.media_key
  FROM json_to_recordset($4::json) AS r(o int, media_key text) JOIN fresh f ON f.o = r.o JOIN counter c ON c.conv = f.conv
  ON CONFLICT DO NOTHING
)
SELECT d.o, d.conv, d.seq, d.id, d.from_user, d.kind, d.body, d.ts, d.client_msg_id, d.recalled_by, d.recalled_at FROM dup d
UNION ALL
SELECT NULL, c.conv, c.last_seq, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM counter c`;

type AppendRow = MessageRowDb & { o: number | null };

/** Conversations this instance knows exist (they are never deleted): no member list is sent for them. */
const KNOWN_CONVS_MAX = 100_000;

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

export async function openPostgresStorage(pool: pg.Pool, opts: { migrate?: MigrateMode; logger?: Logger } = {}): Promise<PostgresStorage> {
  const { db, schema } = await withSchema(pool);
  try {
    await prepareSchema(schema, opts.migrate ?? 'apply', opts.logger);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return new PostgresStorage(db, pool, schema);
}

/** The database's migrations alone; closing it ends the pool. */
export async function openPostgresSchema(pool: pg.Pool): Promise<OpenSchema> {
  const { db, schema } = await withSchema(pool);
  return { ...schema, close: () => db.destroy() };
}

export class PostgresStorage extends KyselyStorage {
  readonly kind = 'postgres';
  /** Two batches in flight: one's WAL sync overlaps the next one's statement. */
  readonly appendConcurrency = 2;
  /**
   * The second batch starts only once 32 messages wait: below that they merge into the next
   * batch (one statement, one round trip and one WAL sync fewer). Measured on the 2-node
   * cluster bench, where each node has half the traffic: less CPU per message and more acked
   * msgs/s than starting it at once (docs/benchmarks.md, "Cluster").
   */
  readonly appendOverlapMin = 32;
  readonly appendDisjointConvs = true;
  private readonly order = new AppendOrder(retryable);
  /** The latest batch in flight per conversation (settles in call order, after the batches before it). */
  private readonly lastByConv = new Map<string, Promise<unknown>>();
  private readonly knownConvs = new Set<string>();

  constructor(
    db: Kysely<Database>,
    private readonly pool: pg.Pool,
    readonly schema?: SchemaManager,
  ) {
    super(db, postgresDialect);
  }

  appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]> {
    // A batch waits only for the earlier ones in flight that share a conversation with it; results resolve in call order.
    const convs = new Set(items.map((it) => it.conv));
    const earlier: Promise<unknown>[] = [];
    for (const conv of convs) {
      const p = this.lastByConv.get(conv);
      if (p) earlier.push(p);
    }
    const ready = earlier.length > 0 ? Promise.allSettled(earlier) : undefined;
    const result = this.order.run(async () => {
      if (ready) await ready;
      return this.appendOnce(items);
    });
    const settled = result.then(
      () => {},
      () => {},
    );
    for (const conv of convs) this.lastByConv.set(conv, settled);
    void settled.then(() => {
      for (const conv of convs) if (this.lastByConv.get(conv) === settled) this.lastByConv.delete(conv);
    });
    return result;
  }

  private async appendOnce(items: readonly NewMessage[]): Promise<AppendResult[]> {
    // Repeats of a (from, clientMsgId) within the batch are resolved here; the statement sees first copies only.
    const { fresh: firsts } = planBatch(items, new Map());
    const input = firsts.map(({ item }, o) => ({
      o,
      conv: item.conv,
      id: item.id,
      from_user: item.from,
      kind: item.kind,
      // Stored as text exactly as SQLite stores it (the json type would refuse a lone surrogate's escape).
      body: JSON.stringify(item.body),
      ts: item.ts,
      client_msg_id: item.clientMsgId === undefined ? null : asStored(item.clientMsgId),
    }));
    const membersOf = new Map<string, readonly string[]>();
    for (const { item } of firsts) if (!membersOf.has(item.conv)) membersOf.set(item.conv, item.members);
    const convs = [...membersOf.keys()];
    const members: Array<{ conv: string; user_id: string }> = [];
    for (const [conv, users] of membersOf) {
      if (!this.knownConvs.has(conv)) for (const user_id of users) members.push({ conv, user_id });
    }
    const refs = firsts.flatMap(({ item }, o) => (item.mediaKeys ?? []).map((media_key) => ({ o, media_key })));
    const r = await this.pool.query<AppendRow>({
      name: 'miniim_append',
      text: APPEND_STATEMENT,
      values: [JSON.stringify(input), JSON.stringify(convs.map((conv) => ({ conv, kind: convKindOf(conv) }))), JSON.stringify(members), JSON.stringify(refs)],
    });
    if (this.knownConvs.size + convs.length > KNOWN_CONVS_MAX) this.knownConvs.clear();
    for (const conv of convs) this.knownConvs.add(conv);
    const found: Msg[] = [];
    const last = new Map<string, number>();
    for (const row of r.rows) {
      if (row.o === null) last.set(row.conv, Number(row.seq));
      else found.push(rowToMsg(row));
    }
    const plan = planBatch(items, duplicatesByItem(items, found));
    const { count } = seqDemand(plan.fresh);
    const first = new Map<string, number>();
    for (const [conv, n] of count) first.set(conv, last.get(conv)! - n + 1);
    assignSeqs(plan, first);
    return plan.results as AppendResult[];
  }
}
