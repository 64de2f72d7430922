/**
 * MySQL/MariaDB backend (`mysql2` pool, Kysely for the shared repositories). The append
 * path is parameterised SQL on one pooled connection per batch, in one transaction:
 *   named locks on the batch's (from, clientMsgId) and the dedupe lookup → the batch's
 *   conversations' counters read with FOR UPDATE (one statement, primary-key order) and
 *   set (one statement) → every message in one multi-row INSERT → COMMIT.
 * Ordering of batches in flight and seq assignment are shared with PostgreSQL
 * (kysely/batch-append.ts). Sessions run READ COMMITTED, so a lookup after a lock wait
 * sees what the other transaction committed.
 */
import { createHash } from 'node:crypto';
import { convKindOf } from '@miniim/protocol';
import { Kysely, Migrator, MysqlDialect } from 'kysely';
import type { Pool as CallbackPool } from 'mysql2';
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { Logger } from '../../logger.js';
import { AppendOrder, assignSeqs, type BatchPlan, dedupeKey, duplicatesByItem, planBatch, seqDemand } from '../kysely/batch-append.js';
import { KyselyStorage } from '../kysely/kysely-storage.js';
import { type Database, type MessageRowDb, rowToMsg } from '../rows.js';
import { type MigrateMode, type OpenSchema, prepareSchema, type SchemaManager, schemaManager } from '../schema.js';
import type { AppendResult, NewMessage } from '../storage.js';
import { mysqlDialect } from './mysql-dialect.js';
import { mysqlMigrations } from './mysql-migrations.js';

/** Deadlock, or (as a safety net) a dedupe race that reached the unique key. */
function retryable(e: unknown): boolean {
  const { code, message } = e as { code?: string; message?: string };
  return code === 'ER_LOCK_DEADLOCK' || (code === 'ER_DUP_ENTRY' && /messages_dedupe/.test(message ?? ''));
}

/** Seconds a batch waits for another transaction holding the same (from, clientMsgId). */
const KEY_LOCK_WAIT_SEC = 10;

const marks = (n: number, each: string) => Array.from({ length: n }, () => each).join(', ');

function withSchema(pool: CallbackPool): { db: Kysely<Database>; schema: SchemaManager } {
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  return { db, schema: schemaManager(new Migrator({ db, provider: { getMigrations: async () => mysqlMigrations } })) };
}

export async function openMysqlStorage(pool: CallbackPool, opts: { appendConcurrency: number; migrate?: MigrateMode; logger?: Logger }): Promise<MysqlStorage> {
  const { db, schema } = withSchema(pool);
  try {
    await prepareSchema(schema, opts.migrate ?? 'apply', opts.logger);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return new MysqlStorage(db, pool.promise(), opts.appendConcurrency, schema);
}

/** The database's migrations alone; closing it ends the pool. */
export function openMysqlSchema(pool: CallbackPool): OpenSchema {
  const { db, schema } = withSchema(pool);
  return { ...schema, close: () => db.destroy() };
}

export class MysqlStorage extends KyselyStorage {
  readonly kind = 'mysql';
  private readonly order = new AppendOrder(retryable);

  constructor(
    db: Kysely<Database>,
    private readonly pool: Pool,
    readonly appendConcurrency: number,
    readonly schema?: SchemaManager,
  ) {
    super(db, mysqlDialect);
  }

  appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]> {
    return this.order.run((myTurn, countersTaken) => this.appendOnce(items, myTurn, countersTaken));
  }

  private async appendOnce(items: readonly NewMessage[], prevCounters: Promise<void>, countersTaken: () => void): Promise<AppendResult[]> {
    const conn = await this.pool.getConnection();
    let discard = false;
    let locked = false;
    try {
      await conn.query('START TRANSACTION');
      await prevCounters;
      const keyed = items.filter((it) => it.clientMsgId !== undefined);
      locked = keyed.length > 0;
      const plan = await this.plan(conn, items, keyed);
      if (plan.fresh.length > 0) {
        const first = await this.takeSeqs(conn, plan.fresh);
        countersTaken();
        const rows = assignSeqs(plan, first);
        await conn.query(
          `INSERT INTO messages (conv, seq, id, from_user, kind, body, ts, client_msg_id) VALUES ${marks(rows.length, '(?, ?, ?, ?, ?, ?, ?, ?)')}`,
          rows.flatMap((r) => [r.conv, r.seq, r.id, r.from, r.kind, JSON.stringify(r.body), r.ts, r.clientMsgId ?? null]),
        );
        const refs = rows.flatMap((r) => (r.mediaKeys ?? []).map((key) => [r.conv, r.seq, key]));
        if (refs.length > 0) await conn.query(`INSERT IGNORE INTO media_refs (conv, seq, media_key) VALUES ${marks(refs.length, '(?, ?, ?)')}`, refs.flat());
      }
      countersTaken();
      await conn.query('COMMIT');
      return plan.results as AppendResult[];
    } catch (e) {
      await conn.query('ROLLBACK').catch(() => {
        discard = true;
      });
      throw e;
    } finally {
      // Named locks belong to the session, not the transaction: give them back before the connection returns.
      if (locked && !discard) await conn.query('DO RELEASE_ALL_LOCKS()').catch(() => (discard = true));
      if (discard) conn.destroy();
      else conn.release();
    }
  }

  private async plan(conn: PoolConnection, items: readonly NewMessage[], keyed: readonly NewMessage[]): Promise<BatchPlan> {
    if (keyed.length > 0) {
      // Locks taken in sorted order (the select list runs left to right), so two batches cannot wait on each other.
      const names = [...new Set(keyed.map((it) => `miniim:${createHash('sha1').update(dedupeKey(it.from, it.clientMsgId!)).digest('hex')}`))].sort();
      const [got] = await conn.query(`SELECT ${marks(names.length, `GET_LOCK(?, ${KEY_LOCK_WAIT_SEC})`)}`, names);
      if (Object.values((got as Array<Record<string, unknown>>)[0]!).some((v) => Number(v) !== 1)) {
        throw Object.assign(new Error('timed out waiting for a concurrent send of the same clientMsgId'), { code: 'ER_LOCK_WAIT_TIMEOUT' });
      }
      const [rows] = await conn.query(
        `SELECT * FROM messages WHERE (from_user, client_msg_id) IN (${marks(keyed.length, '(?, ?)')})`,
        keyed.flatMap((it) => [it.from, it.clientMsgId!]),
      );
      return planBatch(items, duplicatesByItem(items, (rows as MessageRowDb[]).map(rowToMsg)));
    }
    return planBatch(items, new Map());
  }

  /** Locks and moves each conversation's counter once for the whole batch; returns conv → first new seq. Creates missing direct conversations. */
  private async takeSeqs(conn: PoolConnection, fresh: BatchPlan['fresh']): Promise<Map<string, number>> {
    const { count, lastTs, members } = seqDemand(fresh);
    const current = new Map<string, number>();
    const lock = async (convs: string[]) => {
      const [rows] = await conn.query(`SELECT conv, last_seq FROM conversations WHERE conv IN (${marks(convs.length, '?')}) ORDER BY conv FOR UPDATE`, convs);
      for (const r of rows as Array<{ conv: string; last_seq: number }>) current.set(r.conv, Number(r.last_seq));
    };
    const convs = [...count.keys()].sort();
    await lock(convs);
    const missing = convs.filter((c) => !current.has(c));
    if (missing.length > 0) {
      await conn.query(
        `INSERT IGNORE INTO conversations (conv, kind, last_seq, updated_at) VALUES ${marks(missing.length, '(?, ?, 0, ?)')}`,
        missing.flatMap((c) => [c, convKindOf(c), lastTs.get(c)!]),
      );
      const pairs = missing.flatMap((c) => members.get(c)!.map((u) => [u, c, 0, lastTs.get(c)!]));
      if (pairs.length > 0) {
        await conn.query(`INSERT IGNORE INTO conv_members (user_id, conv, read_seq, joined_at) VALUES ${marks(pairs.length, '(?, ?, ?, ?)')}`, pairs.flat());
      }
      await lock(missing);
    }
    const first = new Map<string, number>();
    for (const c of convs) first.set(c, current.get(c)! + 1);
    await conn.query(
      `UPDATE conversations SET last_seq = CASE conv ${convs.map(() => 'WHEN ? THEN ?').join(' ')} END,
         updated_at = CASE conv ${convs.map(() => 'WHEN ? THEN ?').join(' ')} END
       WHERE conv IN (${marks(convs.length, '?')})`,
      [...convs.flatMap((c) => [c, current.get(c)! + count.get(c)!]), ...convs.flatMap((c) => [c, lastTs.get(c)!]), ...convs],
    );
    return first;
  }
}
