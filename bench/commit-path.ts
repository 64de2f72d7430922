/**
 * In-process A/B of the group-commit rules on the real SQLite storage (WAL fdatasync included), with
 * a fixed arrival schedule, so that a loaded machine changes the figures less than a whole-server run:
 * messages are appended at N/s (due ones every 1 ms tick) and every rule sees the same schedule,
 * interleaved round by round. Reports transactions and fsyncs per message, CPU per message
 * (process.cpuUsage: main thread, thread pool and checkpoint worker) and append→durable latency.
 * `--tail` adds, per run, what the appends over 5 ms overlapped: an fsync over 3 ms (the disk), a
 * checkpoint, a GC pause over 1 ms, and the WAL fsync's p99 during checkpoints and outside them.
 *
 * `--delays 0,1` compares commit delays (ms; group-committer.ts) instead, with the merge rule,
 * `--siblings K` their arrival rule (default 2), and adds the wait of a batch's oldest message.
 *
 *   npx tsx bench/commit-path.ts [--rates 1000,2500,5000] [--ms 1500] [--rounds 3] [--tail] [--delays 0,1 [--siblings 2]]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { GroupCommitter } from '../packages/server/src/core/group-committer.js';
import { openSqliteStorage } from '../packages/server/src/storage/sqlite/sqlite-storage.js';
import { atFixedRate, messageMaker } from './lib/in-process-appends.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const rates = arg('rates', '1000,2500,5000').split(',').map(Number);
const ms = Number(arg('ms', '1500'));
const rounds = Number(arg('rounds', '3'));
const tail = process.argv.includes('--tail');
const delays = process.argv.includes('--delays') ? arg('delays', '0').split(',').map(Number) : undefined;
const siblings = Number(arg('siblings', '2'));

/** A time interval [start, end] (performance.now() ms). */
type Span = [number, number];
const overlaps = (spans: readonly Span[], [a, b]: Span) => spans.some(([s, e]) => s <= b && e >= a);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? Number.NaN;

/** What the slow appends of a run overlapped (shares of them), and the WAL fsync p99 during / outside checkpoints. */
function tailOf(appends: Span[], spans: { fsync: Span[]; checkpoint: Span[]; gc: Span[] }) {
  const slow = appends.filter(([a, b]) => b - a > 5);
  const share = (f: (x: Span) => boolean) => (slow.length ? slow.filter(f).length / slow.length : 0);
  const slowFsyncs = spans.fsync.filter(([a, b]) => b - a > 3);
  const longGcs = spans.gc.filter(([a, b]) => b - a > 1);
  const took = (xs: Span[]) => xs.map(([a, b]) => b - a);
  const inCkpt = (x: Span) => overlaps(spans.checkpoint, x);
  return {
    slowShare: slow.length / appends.length,
    fsync: share((x) => overlaps(slowFsyncs, x)),
    checkpoint: share(inCkpt),
    gc: share((x) => overlaps(longGcs, x)),
    fsyncP99In: quantile(took(spans.fsync.filter(inCkpt)), 0.99),
    fsyncP99Out: quantile(took(spans.fsync.filter((x) => !inCkpt(x))), 0.99),
  };
}

interface Rule {
  overlapMin?: number;
  delayMs: number;
}
/**
 * The rules compared: a new batch per turn while a slot is free, and the merge rule (both without a
 * commit delay); with `--delays`, the merge rule with each delay.
 */
const RULES: Record<string, Rule> = delays
  ? Object.fromEntries(delays.map((d) => [`delay ${d} ms`, { delayMs: d }]))
  : { 'batch per turn': { overlapMin: 1, delayMs: 0 }, 'merge while in flight': { delayMs: 0 } };

async function runOnce(rate: number, rule: Rule) {
  const dir = mkdtempSync(join(tmpdir(), 'miniim-commit-path-'));
  const spans = { fsync: [] as Span[], checkpoint: [] as Span[], gc: [] as Span[] };
  const ended = (ms: number): Span => {
    const now = performance.now();
    return [now - ms, now];
  };
  const storage = await openSqliteStorage(join(dir, 'db.sqlite'), { checkpoint: { onCheckpoint: (r) => void spans.checkpoint.push(ended(r.ms ?? 0)) } });
  let fsyncs = 0;
  storage.observeCommits({
    write() {},
    durable() {},
    fsync: (ms) => {
      fsyncs++;
      spans.fsync.push(ended(ms));
    },
  });
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) spans.gc.push([e.startTime, e.startTime + e.duration]);
  });
  gcs.observe({ entryTypes: ['gc'] });
  let batches = 0;
  const waits: number[] = [];
  const c = new GroupCommitter(storage, {
    overlapMin: rule.overlapMin,
    delayMs: rule.delayMs,
    delaySiblings: siblings,
    onBatch: () => void batches++,
    stats: { queue: (ms) => void waits.push(ms), total() {} },
  });
  const msg = messageMaker();
  // Warm-up: conversations exist, statements are hot.
  await Promise.all(Array.from({ length: 200 }, () => c.append(msg())));
  batches = 0;
  fsyncs = 0;
  waits.length = 0;
  for (const list of Object.values(spans)) list.length = 0;
  const appends: Span[] = [];
  const lat: number[] = [];
  const pending: Promise<unknown>[] = [];
  const total = Math.round((rate * ms) / 1000);
  const cpu0 = process.cpuUsage();
  await atFixedRate(rate, ms, () => {
    const at = performance.now();
    pending.push(
      c.append(msg()).then(() => {
        const end = performance.now();
        lat.push(end - at);
        appends.push([at, end]);
      }),
    );
  });
  await Promise.all(pending);
  const cpu = process.cpuUsage(cpu0);
  gcs.disconnect();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  return {
    txPerMsg: batches / total,
    fsyncPerMsg: fsyncs / total,
    cpuUs: (cpu.user + cpu.system) / total,
    p50: lat[Math.floor(lat.length * 0.5)]!,
    p99: lat[Math.floor(lat.length * 0.99)]!,
    waitP50: quantile(waits, 0.5),
    waitMax: Math.max(...waits),
    tail: tailOf(appends, spans),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `commit-path A/B · ${rounds} interleaved rounds of ${ms} ms per rate and rule · load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(
  "| rate msgs/s | rule | transactions/msg | fsyncs/msg | CPU µs/msg (median) | append→durable p50 ms | p99 ms | oldest message's wait p50 / max ms |",
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
const tails = new Map<string, ReturnType<typeof tailOf>[]>();
for (const rate of rates) {
  const res = new Map<string, Awaited<ReturnType<typeof runOnce>>[]>();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? Object.entries(RULES).reverse() : Object.entries(RULES);
    for (const [name, rule] of order) {
      const list = res.get(name) ?? [];
      list.push(await runOnce(rate, rule));
      res.set(name, list);
    }
  }
  for (const [name, list] of res) {
    tails.set(
      `${rate} | ${name}`,
      list.map((x) => x.tail),
    );
    const m = (f: (x: (typeof list)[number]) => number, d = 2) => median(list.map(f)).toFixed(d);
    console.log(
      `| ${rate} | ${name} | ${m((x) => x.txPerMsg)} | ${m((x) => x.fsyncPerMsg)} | ${m((x) => x.cpuUs, 0)} | ${m((x) => x.p50)} | ${m((x) => x.p99)} | ${m((x) => x.waitP50)} / ${m((x) => x.waitMax)} |`,
    );
  }
}
if (tail) {
  console.log(
    '\n| rate msgs/s | rule | round | appends > 5 ms | of them during: an fsync > 3 ms | a checkpoint | a GC > 1 ms | WAL fsync p99 during / outside checkpoints ms |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  for (const [key, list] of tails) {
    for (const [i, t] of list.entries()) {
      const during = `${t.fsyncP99In.toFixed(2)} / ${t.fsyncP99Out.toFixed(2)}`;
      console.log(`| ${key} | ${i + 1} | ${pct(t.slowShare)} | ${pct(t.fsync)} | ${pct(t.checkpoint)} | ${pct(t.gc)} | ${during} |`);
    }
  }
}
console.log(
  `load average after: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
