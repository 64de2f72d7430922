/**
 * Direct-message load inside one worker: both users of each pair live here, so loss and
 * duplicates are checked locally by `clientMsgId`. Closed loop keeps `window` sends in flight per
 * user; open loop sends at a fixed rate and measures from the intended send time (no coordinated omission).
 */
import { newClientMsgId } from '../../packages/sdk/src/ids.js';
import { encodeHistogram, newHistogram, nowAbs, recordMs } from '../lib/histogram.js';
import type { BenchClient } from './bench-client.js';
import type { ClientPool } from './client-pool.js';

export interface DirectParams {
  pairs: [string, string][];
  mode: 'closed' | 'open';
  /** Sends in flight per user (closed loop). */
  window: number;
  /** Messages per second for this worker (open loop). */
  ratePerSec: number;
  /** Absolute start time (ms since epoch) shared by all workers. */
  startAt: number;
  warmupMs: number;
  durationMs: number;
  /** How long to wait after the end for outstanding acks and deliveries. */
  drainMs: number;
}

export interface DirectResult {
  sent: number;
  acked: number;
  delivered: number;
  ackedInWindow: number;
  deliveredInWindow: number;
  errors: number;
  errorSamples: string[];
  unacked: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  sendAckHist: string;
  sendDeliverHist: string;
}

interface Sent {
  t0: number;
  measured: boolean;
  acked: boolean;
  delivered: number;
}

const TEXT = 'bench message: the quick brown fox jumps over the lazy dog';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runDirect(pool: ClientPool, p: DirectParams): Promise<DirectResult> {
  const sent = new Map<string, Sent>();
  const ackHist = newHistogram();
  const delivHist = newHistogram();
  const r = {
    sent: 0,
    acked: 0,
    delivered: 0,
    ackedInWindow: 0,
    deliveredInWindow: 0,
    errors: 0,
    duplicated: 0,
    unexpected: 0,
  };
  const errorSamples: string[] = [];
  const winStart = p.startAt + p.warmupMs;
  const winEnd = winStart + p.durationMs;
  let stopped = false;

  pool.handler = (client, msg) => {
    if (msg.from === client.userId) return; // own message echoed to this session: not a delivery
    const s = msg.clientMsgId ? sent.get(msg.clientMsgId) : undefined;
    if (!s) {
      r.unexpected++;
      return;
    }
    const now = nowAbs();
    s.delivered++;
    if (s.delivered > 1) {
      r.duplicated++;
      return;
    }
    r.delivered++;
    if (now >= winStart && now < winEnd) r.deliveredInWindow++;
    if (s.measured) recordMs(delivHist, now - s.t0);
  };

  const peers: [BenchClient, string][] = [];
  for (const [a, b] of p.pairs) {
    const ca = pool.clients.get(a);
    const cb = pool.clients.get(b);
    if (ca?.open) peers.push([ca, b]);
    if (cb?.open) peers.push([cb, a]);
  }

  const sendOne = (client: BenchClient, to: string, t0: number): Promise<void> => {
    // As the SDK makes them (time first), so the server's resend index sees what real clients send.
    const cmid = newClientMsgId();
    const s: Sent = { t0, measured: t0 >= winStart && t0 < winEnd, acked: false, delivered: 0 };
    sent.set(cmid, s);
    r.sent++;
    return client.send(`u:${to}`, cmid, TEXT).then(
      () => {
        const now = nowAbs();
        s.acked = true;
        r.acked++;
        if (now >= winStart && now < winEnd) r.ackedInWindow++;
        if (s.measured) recordMs(ackHist, now - s.t0);
      },
      (err: Error) => {
        sent.delete(cmid);
        r.sent--;
        r.errors++;
        if (errorSamples.length < 5) errorSamples.push(err.message);
      },
    );
  };

  await sleep(p.startAt - nowAbs());
  if (p.mode === 'closed') {
    const loop = async (client: BenchClient, to: string) => {
      while (!stopped && client.open) {
        const before = r.errors;
        await sendOne(client, to, nowAbs());
        if (r.errors > before) await sleep(20);
      }
    };
    for (const [c, to] of peers) for (let w = 0; w < p.window; w++) void loop(c, to);
    await sleep(winEnd - nowAbs());
    stopped = true;
  } else {
    const interval = 1000 / p.ratePerSec;
    let i = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = nowAbs();
        while (peers.length > 0 && p.startAt + i * interval <= now && p.startAt + i * interval < winEnd) {
          const [c, to] = peers[i % peers.length];
          if (c.open) void sendOne(c, to, p.startAt + i * interval);
          i++;
        }
        if (now >= winEnd) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 1);
    });
    stopped = true;
  }

  const deadline = nowAbs() + p.drainMs;
  const outstanding = () => {
    for (const s of sent.values()) if (!s.acked || s.delivered === 0) return true;
    return false;
  };
  while (nowAbs() < deadline && outstanding()) await sleep(50);
  let unacked = 0;
  let lost = 0;
  for (const s of sent.values()) {
    if (!s.acked) unacked++;
    else if (s.delivered === 0) lost++;
  }
  pool.handler = () => {};
  return {
    ...r,
    errorSamples,
    unacked,
    lost,
    sendAckHist: encodeHistogram(ackHist),
    sendDeliverHist: encodeHistogram(delivHist),
  };
}
