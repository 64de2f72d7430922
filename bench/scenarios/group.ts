/**
 * `group`: groups of M online members and S senders. Closed loop on full delivery: each sender
 * keeps a few messages in flight until they reached every other member (the orchestrator tallies
 * worker delivery reports and hands out credits). Reports deliveries/s, server CPU per delivery and
 * latency to the last member. A group that cannot be created fails the target (never a skip).
 */
import type { DelivItem } from '../gen/group-load.js';
import { mergeEncoded, newHistogram, nowAbs, recordMs, summarize } from '../lib/histogram.js';
import type { ResultRow, Scenario, ScenarioContext, TargetResult } from '../lib/scenario.js';
import { logProfiles, round, spread } from '../lib/scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FinishResult {
  sent: number;
  acked: number;
  errors: number;
  errorSamples: string[];
  deliveries: number;
  duplicated: number;
  echoes: number;
  sendAckHist: string;
  deliverHist: string;
}

/** Creates the group as its first member, in chunks of 1,000 members per request. */
async function createGroup(ctx: ScenarioContext, members: string[]): Promise<string> {
  const owner = members[0];
  let group: { id: string };
  try {
    group = await ctx.workers.request(0, 'post', {
      path: '/api/groups',
      body: { name: `bench ${members.length}`, members: members.slice(1, 1000) },
      asUser: owner,
    });
  } catch (err) {
    throw new Error(`group creation failed: ${(err as Error).message.slice(0, 300)}`);
  }
  for (let i = 1000; i < members.length; i += 1000) {
    await ctx.workers
      .request(0, 'post', {
        path: `/api/groups/${group.id}/members`,
        body: { userIds: members.slice(i, i + 1000) },
        asUser: owner,
      })
      .catch((err: Error) => {
        throw new Error(`adding members failed at ${i}: ${err.message.slice(0, 300)}`);
      });
  }
  return group.id;
}

async function runSize(ctx: ScenarioContext, size: number): Promise<{ row: ResultRow; lost: number; duplicated: number; notes: string[] }> {
  const g = ctx.opts.sizes.group;
  const members = Array.from({ length: size }, (_, k) => `g${size}m${k}`);
  const parts = spread(members, ctx.workers.size);
  const conn = await ctx.workers.all<{ failed: number; errors: string[] }>('connect', (i) => ({
    users: parts[i],
    concurrency: 100,
  }));
  const failed = conn.reduce((s, c) => s + c.failed, 0);
  if (failed) throw new Error(`${failed} members failed to connect: ${conn.flatMap((c) => c.errors).join('; ')}`);
  const groupId = await createGroup(ctx, members);
  const expected = size - 1;
  // Bound the deliveries in flight: fewer senders for big groups, but at least 2 so the pipeline never drains.
  const senderCount = Math.min(size, g.senders, Math.max(2, Math.floor(g.inflightDeliveries / expected)));
  const senders = members.slice(0, senderCount);
  const window = Math.max(1, Math.round(g.inflightDeliveries / (senders.length * expected)));
  const senderWorker = new Map<string, number>();
  parts.forEach((p, i) => {
    for (const u of p) senderWorker.set(u, i);
  });
  const tag = `g${size}`;
  const tally = new Map<string, { count: number; last: number; t0: number }>();
  const lastHist = newHistogram();
  let completed = 0;
  let windowDeliveries = 0;
  let winStart = Number.POSITIVE_INFINITY;
  let winEnd = Number.POSITIVE_INFINITY;
  const toComplete = new Map<number, string[]>();
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    for (const [w, cmids] of toComplete) void ctx.workers.request(w, 'group-complete', { cmids });
    toComplete.clear();
  };
  ctx.workers.onEvent = (_w, ev) => {
    if (ev.ev !== 'gdeliv') return;
    const now = nowAbs();
    for (const [cmid, n, last, t0] of ev.items as DelivItem[]) {
      if (now >= winStart && now < winEnd) windowDeliveries += n;
      let t = tally.get(cmid);
      if (!t) {
        t = { count: 0, last: 0, t0 };
        tally.set(cmid, t);
      }
      t.count += n;
      t.last = Math.max(t.last, last);
      if (t.count === expected) {
        completed++;
        recordMs(lastHist, t.last - t.t0);
        const sender = cmid.slice(tag.length + 1, cmid.lastIndexOf('.'));
        const w = senderWorker.get(sender) ?? 0;
        const list = toComplete.get(w) ?? [];
        list.push(cmid);
        toComplete.set(w, list);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      }
    }
  };
  await ctx.workers.all('group-init', (i) => ({
    groupId,
    members: parts[i],
    senders: parts[i].filter((u) => senders.includes(u)),
    window,
    tag,
  }));
  const s0 = ctx.server.cpuMs();
  const g0 = await ctx.workers.cpuMs();
  const start = nowAbs();
  await ctx.workers.all('group-start');
  winStart = start + g.warmupMs;
  winEnd = winStart + g.durationMs;
  await sleep(g.warmupMs);
  const profiler = ctx.opts.profile && ctx.target.name.startsWith('miniim') ? await ctx.server.startProfile() : null;
  const c0 = ctx.server.cpuMs();
  await sleep(g.durationMs);
  const windowCpuMs = ctx.server.cpuMs() - c0;
  if (profiler) await logProfiles(ctx, profiler, `${size} members`);
  const stopped = await ctx.workers.all<{ acked: number; sent: number }>('group-stop');
  const sent = stopped.reduce((s, x) => s + x.sent, 0);
  const drainUntil = nowAbs() + 15_000;
  while (nowAbs() < drainUntil && completed < sent) await sleep(20);
  await sleep(100);
  const totalCpuMs = ctx.server.cpuMs() - s0;
  const genCpuMs = (await ctx.workers.cpuMs()) - g0;
  const wallMs = nowAbs() - start;
  ctx.workers.onEvent = () => {};
  const fin = await ctx.workers.all<FinishResult>('group-finish');
  await ctx.workers.all('drop-all');
  const sum = (k: keyof FinishResult) => fin.reduce((s, r) => s + (r[k] as number), 0);
  const deliveries = sum('deliveries');
  const acked = sum('acked');
  const lost = Math.max(0, acked * expected - deliveries);
  const lastMember = summarize(lastHist);
  const each = summarize(mergeEncoded(fin.map((f) => f.deliverHist)));
  const ack = summarize(mergeEncoded(fin.map((f) => f.sendAckHist)));
  const notes: string[] = [];
  if (sum('errors'))
    notes.push(
      `${size}: ${sum('errors')} send errors (${fin
        .flatMap((f) => f.errorSamples)
        .slice(0, 3)
        .join('; ')})`,
    );
  if (sum('echoes')) notes.push(`${size}: ${sum('echoes')} messages echoed to the sending socket`);
  return {
    row: {
      key: `${size} members`,
      metrics: {
        members: size,
        senders: senders.length,
        window,
        msgsPerSec: round((windowDeliveries / expected / g.durationMs) * 1000, 1),
        delivPerSec: round((windowDeliveries / g.durationMs) * 1000, 0),
        cpuUsPerDeliv: deliveries ? round((totalCpuMs * 1000) / deliveries, 2) : null,
        windowCpuUsPerDeliv: windowDeliveries ? round((windowCpuMs * 1000) / windowDeliveries, 2) : null,
        ackP50: ack.p50Ms,
        lastP50: lastMember.p50Ms,
        lastP99: lastMember.p99Ms,
        eachP50: each.p50Ms,
        eachP99: each.p99Ms,
        genCpuPct: round((genCpuMs / wallMs) * 100, 0),
      },
    },
    lost,
    duplicated: sum('duplicated'),
    notes,
  };
}

export const groupScenario: Scenario = {
  name: 'group',
  title: 'Group fan-out',
  method:
    'Groups of M members, all online, spread over the workers; S senders post text messages. Each ' +
    'sender keeps `window` messages in flight until they reached every other member (closed loop on ' +
    'delivery, so queues stay bounded: S × window × (M − 1) ≈ `inflightDeliveries`, S ≥ 2; latencies ' +
    'therefore include that queue). deliv/s counts deliveries in the measured window; server CPU per ' +
    'delivery = server CPU time / deliveries over the whole run; "last" latency = send → receipt by the ' +
    'last member, "each" = send → receipt per delivery.',
  columns: [
    { key: 'members', label: 'members', digits: 0 },
    { key: 'senders', label: 'senders', digits: 0 },
    { key: 'window', label: 'window/sender', digits: 0 },
    { key: 'msgsPerSec', label: 'msgs/s', digits: 1 },
    { key: 'delivPerSec', label: 'deliv/s', digits: 0 },
    { key: 'cpuUsPerDeliv', label: 'server CPU µs/deliv', digits: 2 },
    { key: 'ackP50', label: 'ack p50 ms', digits: 2 },
    { key: 'lastP50', label: 'last member p50 ms', digits: 1 },
    { key: 'lastP99', label: 'last member p99 ms', digits: 1 },
    { key: 'eachP50', label: 'each p50 ms', digits: 1 },
    { key: 'eachP99', label: 'each p99 ms', digits: 1 },
    { key: 'genCpuPct', label: 'generator CPU %', digits: 0 },
  ],
  ratios: [],
  chart: { metric: 'delivPerSec', label: 'group deliveries/s (higher is better)' },
  targets: ['miniim', 'raw', 'socketio', 'blog'],
  params: (o) => ({ ...o.sizes.group }),
  async run(ctx): Promise<TargetResult> {
    const rows: ResultRow[] = [];
    const notes: string[] = [];
    let lost = 0;
    let duplicated = 0;
    for (const size of ctx.opts.sizes.group.sizes) {
      try {
        const r = await runSize(ctx, size);
        ctx.log(`    ${size} members: ${r.row.metrics.delivPerSec} deliv/s, last p99 ${r.row.metrics.lastP99} ms`);
        rows.push(r.row);
        notes.push(...r.notes);
        lost += r.lost;
        duplicated += r.duplicated;
      } catch (err) {
        // Leave the workers clean for the next target; the runner records this one as failed.
        await ctx.workers.all('drop-all');
        throw err;
      }
    }
    return { target: ctx.target.name, label: ctx.target.label, rows, lost, duplicated, notes };
  },
  goals(results) {
    const mi = results.find((x) => x.target === 'miniim' && !x.skipped);
    if (!mi) return [];
    const out = [];
    for (const row of mi.rows) {
      const other = (t: string) => results.find((x) => x.target === t && !x.skipped)?.rows.find((r) => r.key === row.key)?.metrics;
      const raw = other('raw');
      const sio = other('socketio');
      const cpu = row.metrics.cpuUsPerDeliv;
      const d = row.metrics.delivPerSec;
      out.push({
        goal: `group ${row.key}: CPU/delivery ≤ 1.2× raw ws`,
        value: cpu != null && raw?.cpuUsPerDeliv ? `${round(cpu / raw.cpuUsPerDeliv, 2)}×` : 'n/a',
        met: cpu != null && raw?.cpuUsPerDeliv ? cpu <= 1.2 * raw.cpuUsPerDeliv : null,
      });
      out.push({
        goal: `group ${row.key}: deliveries/s ≥ Socket.IO`,
        value: d != null && sio?.delivPerSec ? `${round(d / sio.delivPerSec, 2)}×` : 'n/a',
        met: d != null && sio?.delivPerSec ? d >= sio.delivPerSec : null,
      });
    }
    return out;
  },
};

/** Group ratios are per size; computed from the configured sizes. */
export function groupRatios(sizes: number[]) {
  return sizes.flatMap((s) => [
    { row: `${s} members`, metric: 'delivPerSec', label: `deliveries/s, ${s} members` },
    { row: `${s} members`, metric: 'cpuUsPerDeliv', label: `server CPU per delivery, ${s} members` },
  ]);
}
