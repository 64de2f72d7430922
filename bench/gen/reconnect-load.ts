/**
 * Reconnect storm inside one worker: victims hold a conversation with a feeder; they drop at once,
 * feeders send them messages while they are away, then all victims reconnect at once (at most
 * `concurrency` handshakes in flight per worker) and fetch what they missed with `history after`,
 * while feeders send one more live message each. A victim is in sync when it has every message
 * acked to it; a `clientMsgId` seen with two ids, or one id pushed twice, is a duplicate.
 */
import { encodeHistogram, newHistogram, nowAbs, recordMs } from '../lib/histogram.js';
import type { BenchClient, WireMsg } from './bench-client.js';
import { type ClientPool, mapLimit } from './client-pool.js';

export interface ReconnectParams {
  victims: string[];
  feeders: string[];
  perVictim: number;
  storage: boolean;
  concurrency: number;
  tag: string;
}

interface VictimState {
  feeder: string;
  conv?: string;
  lastSeq: number;
  /** The last seq held when the victim dropped: `history after` starts here, not at a seq pushed meanwhile. */
  cursor: number;
  expected: Set<string>;
  seen: Map<string, Set<string>>;
  pushedIds: Set<string>;
  syncedAt?: number;
  connectedAt?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export class ReconnectLoad {
  private readonly v = new Map<string, VictimState>();
  private duplicated = 0;
  private counter = 0;
  private startAt = 0;
  private errors = 0;
  private errorSamples: string[] = [];

  constructor(
    private readonly pool: ClientPool,
    private readonly p: ReconnectParams,
  ) {
    p.victims.forEach((id, i) => {
      this.v.set(id, {
        feeder: p.feeders[i % p.feeders.length],
        lastSeq: 0,
        cursor: 0,
        expected: new Set(),
        seen: new Map(),
        pushedIds: new Set(),
      });
    });
    pool.handler = (c, m) => this.onMsg(c, m, true);
  }

  private onMsg(client: BenchClient, msg: WireMsg, pushed: boolean): void {
    const st = this.v.get(client.userId);
    if (!st || msg.from === client.userId || !msg.clientMsgId) return;
    st.conv = msg.conv;
    if (msg.seq > st.lastSeq) st.lastSeq = msg.seq;
    if (pushed) {
      if (st.pushedIds.has(msg.id)) this.duplicated++;
      st.pushedIds.add(msg.id);
    }
    let ids = st.seen.get(msg.clientMsgId);
    if (!ids) {
      ids = new Set();
      st.seen.set(msg.clientMsgId, ids);
    }
    ids.add(msg.id);
    if (ids.size > 1) this.duplicated++;
    this.checkSynced(st);
  }

  private checkSynced(st: VictimState): void {
    if (st.syncedAt !== undefined || this.startAt === 0 || st.connectedAt === undefined) return;
    for (const e of st.expected) if (!st.seen.has(e)) return;
    st.syncedAt = nowAbs();
  }

  /** Each feeder sends `count` messages to each of its victims (window 16 per feeder). */
  private async feed(count: number): Promise<number> {
    let acked = 0;
    const byFeeder = new Map<string, string[]>();
    for (const [id, st] of this.v) {
      const list = byFeeder.get(st.feeder) ?? [];
      for (let k = 0; k < count; k++) list.push(id);
      byFeeder.set(st.feeder, list);
    }
    await Promise.all(
      [...byFeeder].map(([feederId, targets]) =>
        mapLimit(targets, 16, async (victim) => {
          const f = this.pool.clients.get(feederId);
          if (!f?.open) return;
          const cmid = `${this.p.tag}.${feederId}.${++this.counter}`;
          try {
            const msg = await f.send(`u:${victim}`, cmid, `offline bench message ${cmid}`);
            const st = this.v.get(victim)!;
            st.conv = msg.conv;
            st.expected.add(cmid);
            if (!st.seen.has(cmid)) st.syncedAt = undefined;
            acked++;
            this.checkSynced(st);
          } catch (err) {
            this.errors++;
            if (this.errorSamples.length < 5) this.errorSamples.push((err as Error).message);
          }
        }),
      ),
    );
    return acked;
  }

  /** Primes every conversation with one delivered message so each victim has a last seq. */
  async prime(): Promise<{ acked: number; delivered: number }> {
    const acked = await this.feed(1);
    const deadline = nowAbs() + 10_000;
    const delivered = () => [...this.v.values()].filter((s) => s.seen.size >= s.expected.size).length;
    while (nowAbs() < deadline && delivered() < this.v.size) await sleep(20);
    for (const st of this.v.values()) st.expected.clear();
    return { acked, delivered: delivered() };
  }

  async drop(): Promise<void> {
    for (const id of this.p.victims) {
      const st = this.v.get(id)!;
      st.cursor = st.lastSeq;
      this.pool.clients.get(id)?.drop();
    }
    await sleep(200);
  }

  async offline(): Promise<number> {
    return this.p.storage ? this.feed(this.p.perVictim) : 0;
  }

  private async sync(id: string, st: VictimState): Promise<void> {
    const c = await this.pool.connect(id);
    st.connectedAt = nowAbs();
    if (this.p.storage && st.conv) {
      // A live message may be pushed before the history request goes out: page from the
      // cursor taken at the drop, never from the newest seq seen, or the gap is skipped.
      let after = st.cursor;
      for (;;) {
        const h = await c.history(st.conv, after, 100);
        for (const m of h.messages) {
          this.onMsg(c, m, false);
          after = Math.max(after, m.seq);
        }
        if (!h.hasMore || h.messages.length === 0) break;
      }
    }
    this.checkSynced(st);
  }

  /** Reconnects every victim at `startAt` while feeders send one live message each. */
  async back(startAt: number, timeoutMs: number) {
    await sleep(startAt - nowAbs());
    this.startAt = nowAbs();
    const connectHist = newHistogram();
    const syncHist = newHistogram();
    let failed = 0;
    const reconnects = mapLimit(this.p.victims, this.p.concurrency, async (id) => {
      const st = this.v.get(id)!;
      try {
        await this.sync(id, st);
        recordMs(connectHist, st.connectedAt! - this.startAt);
      } catch (err) {
        failed++;
        this.errors++;
        if (this.errorSamples.length < 5) this.errorSamples.push((err as Error).message);
      }
    });
    const live = this.p.storage ? this.feed(1) : Promise.resolve(0);
    const [, liveAcked] = await Promise.all([reconnects, live]);
    const deadline = nowAbs() + timeoutMs;
    const unsynced = () => [...this.v.values()].filter((s) => s.syncedAt === undefined).length;
    while (nowAbs() < deadline && unsynced() > 0) await sleep(20);
    let lost = 0;
    let last = 0;
    for (const st of this.v.values()) {
      for (const e of st.expected) if (!st.seen.has(e)) lost++;
      if (st.syncedAt !== undefined) {
        recordMs(syncHist, st.syncedAt - this.startAt);
        last = Math.max(last, st.syncedAt - this.startAt);
      }
    }
    this.pool.handler = () => {};
    return {
      victims: this.v.size,
      reconnected: this.v.size - failed,
      failed,
      liveAcked,
      unsynced: unsynced(),
      lost,
      duplicated: this.duplicated,
      errors: this.errors,
      errorSamples: this.errorSamples,
      allInSyncMs: last,
      connectHist: encodeHistogram(connectHist),
      syncHist: encodeHistogram(syncHist),
    };
  }
}
