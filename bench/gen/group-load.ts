/**
 * Group load inside one worker. Receivers report per-message delivery counts to the orchestrator
 * (event `gdeliv`), which knows when a message reached its last member and hands the sender a new
 * credit (`complete`). Each sender keeps `window` messages in flight until fully delivered, so the
 * load is closed-loop on delivery and server queues stay bounded.
 */
import { encodeHistogram, newHistogram, nowAbs, recordMs } from '../lib/histogram.js';
import type { BenchClient } from './bench-client.js';
import type { ClientPool } from './client-pool.js';

export interface GroupParams {
  groupId: string;
  members: string[];
  senders: string[];
  window: number;
  tag: string;
}

/** One delivery report item: [clientMsgId, deliveries, latest receive time, send time]. */
export type DelivItem = [string, number, number, number];

export class GroupLoad {
  private readonly conv: string;
  private running = false;
  private counter = 0;
  private readonly ackHist = newHistogram();
  private readonly delivHist = newHistogram();
  private readonly lastSeq = new Map<string, number>();
  /** Per member: seqs below its highest seen that have not arrived yet. */
  private readonly missing = new Map<string, Set<number>>();
  private pending = new Map<string, DelivItem>();
  private flushScheduled = false;
  private readonly outstanding = new Map<string, number>();
  private readonly senders = new Map<string, BenchClient>();
  sent = 0;
  acked = 0;
  errors = 0;
  errorSamples: string[] = [];
  deliveries = 0;
  duplicated = 0;
  echoes = 0;

  constructor(
    private readonly pool: ClientPool,
    private readonly p: GroupParams,
    private readonly emit: (items: DelivItem[]) => void,
  ) {
    this.conv = `g:${p.groupId}`;
    for (const s of p.senders) {
      const c = pool.clients.get(s);
      if (c) this.senders.set(s, c);
    }
    pool.handler = (client, msg) => this.onMsg(client, msg);
  }

  private onMsg(client: BenchClient, msg: { conv: string; seq: number; from: string; kind?: string; clientMsgId?: string; body: { text?: string } }) {
    // Only the senders' timed texts count; membership notices carry no send time.
    if (msg.conv !== this.conv || msg.kind === 'system') return;
    const now = nowAbs();
    if (msg.from === client.userId) {
      this.echoes++;
      return;
    }
    // Pushes may arrive out of seq order (two nodes commit to one group: each delivers its own at
    // once, the other's after the bus): a seq below the highest seen is a late delivery while it is
    // still missing, a duplicate otherwise.
    const last = this.lastSeq.get(client.userId) ?? 0;
    if (msg.seq <= last) {
      const missing = this.missing.get(client.userId);
      if (!missing?.delete(msg.seq)) {
        this.duplicated++;
        return;
      }
    } else {
      if (msg.seq > last + 1) {
        const missing = this.missing.get(client.userId) ?? new Set<number>();
        this.missing.set(client.userId, missing);
        for (let s = last + 1; s < msg.seq; s++) missing.add(s);
      }
      this.lastSeq.set(client.userId, msg.seq);
    }
    this.deliveries++;
    const t0 = Number((msg.body.text ?? '').slice(2, (msg.body.text ?? '').indexOf(' ')));
    recordMs(this.delivHist, now - t0);
    const cmid = msg.clientMsgId ?? msg.seq.toString();
    const item = this.pending.get(cmid);
    if (item) {
      item[1]++;
      item[2] = now;
    } else this.pending.set(cmid, [cmid, 1, now, t0]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => this.flush(), 2);
    }
  }

  private flush() {
    this.flushScheduled = false;
    if (this.pending.size === 0) return;
    const items = [...this.pending.values()];
    this.pending = new Map();
    this.emit(items);
  }

  start(): void {
    this.running = true;
    for (const [id, c] of this.senders) {
      this.outstanding.set(id, 0);
      for (let i = 0; i < this.p.window; i++) this.sendNext(id, c);
    }
  }

  private sendNext(senderId: string, c: BenchClient): void {
    if (!this.running || !c.open) return;
    const t0 = nowAbs();
    const cmid = `${this.p.tag}.${senderId}.${++this.counter}`;
    this.outstanding.set(senderId, (this.outstanding.get(senderId) ?? 0) + 1);
    this.sent++;
    c.send(this.conv, cmid, `t:${t0} group bench message`).then(
      () => {
        this.acked++;
        recordMs(this.ackHist, nowAbs() - t0);
      },
      (err: Error) => {
        this.errors++;
        if (this.errorSamples.length < 5) this.errorSamples.push(err.message);
        this.outstanding.set(senderId, (this.outstanding.get(senderId) ?? 1) - 1);
        setTimeout(() => this.sendNext(senderId, c), 50);
      },
    );
  }

  /** The orchestrator says these messages reached every member: free their window slots. */
  complete(cmids: string[]): void {
    for (const cmid of cmids) {
      const senderId = cmid.slice(this.p.tag.length + 1, cmid.lastIndexOf('.'));
      const c = this.senders.get(senderId);
      if (!c) continue;
      this.outstanding.set(senderId, (this.outstanding.get(senderId) ?? 1) - 1);
      this.sendNext(senderId, c);
    }
  }

  stop() {
    this.running = false;
    return { sent: this.sent, acked: this.acked, errors: this.errors, errorSamples: this.errorSamples };
  }

  finish() {
    this.flush();
    this.pool.handler = () => {};
    return {
      sent: this.sent,
      acked: this.acked,
      errors: this.errors,
      errorSamples: this.errorSamples,
      deliveries: this.deliveries,
      duplicated: this.duplicated,
      echoes: this.echoes,
      sendAckHist: encodeHistogram(this.ackHist),
      deliverHist: encodeHistogram(this.delivHist),
    };
  }
}
