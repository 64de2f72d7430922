/**
 * The driver-independent half of a network database's group commit: what a batch
 * stores (dedupe against stored rows and within the batch), how many seqs each
 * conversation needs, seq assignment in input order, and the ordering of batches in
 * flight (see AppendOrder).
 */
import type { Msg } from '@miniim/protocol';
import type { AppendResult, NewMessage } from '../storage.js';

export interface BatchPlan {
  results: (AppendResult | undefined)[];
  /** Items to store, in input order, with their index in the batch. */
  fresh: Array<{ item: NewMessage; index: number }>;
  /** [index, index of the earlier copy in this batch] for repeats of a (from, clientMsgId). */
  repeats: Array<[number, number]>;
}

export const dedupeKey = (from: string, clientMsgId: string): string => `${from}\u0000${clientMsgId}`;

/** A string as the database stores it after UTF-8 encoding: a lone surrogate becomes U+FFFD. */
export function asStored(s: string): string {
  return /[\uD800-\uDFFF]/.test(s) ? Buffer.from(s, 'utf8').toString('utf8') : s;
}

/**
 * The stored duplicates of a batch, keyed by dedupeKey of each item's own (from, clientMsgId):
 * a clientMsgId the database stored changed (U+FFFD) still finds its row.
 */
export function duplicatesByItem(items: readonly NewMessage[], found: readonly Msg[]): Map<string, Msg> {
  const out = new Map<string, Msg>();
  if (found.length === 0) return out;
  const byStoredKey = new Map(found.map((m) => [dedupeKey(m.from, m.clientMsgId!), m]));
  for (const it of items) {
    if (it.clientMsgId === undefined) continue;
    const m = byStoredKey.get(dedupeKey(it.from, asStored(it.clientMsgId)));
    if (m) out.set(dedupeKey(it.from, it.clientMsgId), m);
  }
  return out;
}

/** `stored`: the batch's (from, clientMsgId) already in the database, by dedupeKey. */
export function planBatch(items: readonly NewMessage[], stored: ReadonlyMap<string, Msg>): BatchPlan {
  const results: (AppendResult | undefined)[] = new Array(items.length);
  const fresh: BatchPlan['fresh'] = [];
  const repeats: BatchPlan['repeats'] = [];
  const firstInBatch = new Map<string, number>();
  items.forEach((item, index) => {
    if (item.clientMsgId !== undefined) {
      const key = dedupeKey(item.from, item.clientMsgId);
      const prior = stored.get(key);
      if (prior) {
        results[index] = { ok: true, msg: prior, duplicate: true };
        return;
      }
      const earlier = firstInBatch.get(key);
      if (earlier !== undefined) {
        repeats.push([index, earlier]);
        return;
      }
      firstInBatch.set(key, index);
    }
    fresh.push({ item, index });
  });
  return { results, fresh, repeats };
}

/** Per conversation of the fresh items: how many seqs, the last ts, the members to create it with. */
export function seqDemand(fresh: BatchPlan['fresh']) {
  const count = new Map<string, number>();
  const lastTs = new Map<string, number>();
  const members = new Map<string, readonly string[]>();
  for (const { item } of fresh) {
    count.set(item.conv, (count.get(item.conv) ?? 0) + 1);
    lastTs.set(item.conv, item.ts);
    if (!members.has(item.conv)) members.set(item.conv, item.members);
  }
  return { count, lastTs, members };
}

/** Gives each fresh item its seq (from `first`, conv → first new seq, in input order) and fills in every result. */
export function assignSeqs(plan: BatchPlan, first: ReadonlyMap<string, number>): Array<NewMessage & { seq: number }> {
  const next = new Map(first);
  const rows: Array<NewMessage & { seq: number }> = [];
  for (const { item, index } of plan.fresh) {
    const seq = next.get(item.conv)!;
    next.set(item.conv, seq + 1);
    rows.push({ ...item, seq });
    const msg: Msg = { id: item.id, conv: item.conv, seq, from: item.from, kind: item.kind, body: item.body, ts: item.ts };
    if (item.clientMsgId !== undefined) msg.clientMsgId = item.clientMsgId;
    plan.results[index] = { ok: true, msg, duplicate: false };
  }
  for (const [index, earlier] of plan.repeats) {
    const original = plan.results[earlier] as { msg: Msg };
    plan.results[index] = { ok: true, msg: original.msg, duplicate: true };
  }
  return rows;
}

/**
 * Orders the batches in flight of one storage instance. A batch's ordered step (dedupe
 * locks and lookup, then taking its conversations' counters, whose row locks it keeps
 * until commit) starts only once the previous batch has taken its counters: seqs follow
 * batch order per conversation, while inserts and commits overlap. Results resolve in
 * batch order. A transaction that lost a race the database detected (`retryable`) is run
 * again, up to `maxAttempts`.
 */
export class AppendOrder {
  private counterTurn: Promise<void> = Promise.resolve();
  private resultTurn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly retryable: (err: unknown) => boolean,
    private readonly maxAttempts = 5,
  ) {}

  run<T>(attempt: (myTurn: Promise<void>, countersTaken: () => void) => Promise<T>): Promise<T> {
    const prevCounters = this.counterTurn;
    let countersTaken!: () => void;
    this.counterTurn = new Promise((r) => {
      countersTaken = r;
    });
    const prevResults = this.resultTurn;
    const ordered = this.withRetry(attempt, prevCounters, countersTaken).then(
      async (r) => {
        await prevResults;
        return r;
      },
      async (e) => {
        await prevResults;
        throw e;
      },
    );
    this.resultTurn = ordered.catch(() => {});
    return ordered;
  }

  private async withRetry<T>(
    attempt: (myTurn: Promise<void>, countersTaken: () => void) => Promise<T>,
    prevCounters: Promise<void>,
    countersTaken: () => void,
  ): Promise<T> {
    try {
      for (let n = 1; ; n++) {
        try {
          return await attempt(n === 1 ? prevCounters : Promise.resolve(), countersTaken);
        } catch (e) {
          if (!this.retryable(e) || n >= this.maxAttempts) throw e;
        }
      }
    } finally {
      countersTaken();
    }
  }
}
