/**
 * In-process A/B of the group-commit rules on the real SQLite storage (WAL fdatasync included), with
 * a fixed arrival schedule, so that a loaded machine changes the figures less than a whole-server run:
 * messages are appended at N/s (due ones every 1 ms tick) and every rule sees the same schedule,
 * interleaved round by round. Reports transactions and fsyncs per message, CPU per message
 * (process.cpuUsage: main thread, thread pool and checkpoint worker) and append→durable latency.
 *
 *   npx tsx bench/commit-path.ts [--rates 1000,2500,5000] [--ms 1500] [--rounds 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommitter } from '../packages/server/src/core/group-committer.js';
import { openSqliteStorage } from '../packages/server/src/storage/sqlite/sqlite-storage.js';
import type { NewMessage } from '../packages/server/src/storage/storage.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const rates = arg('rates', '1000,2500,5000').split(',').map(Number);
const ms = Number(arg('ms', '1500'));
const rounds = Number(arg('rounds', '3'));

/** The rules compared: a new batch per turn while a slot is free (before), and the merge rule (now). */
const RULES = { 'batch per turn (before)': 1, 'merge while in flight (now)': undefined } as const;

async function runOnce(rate: number, overlapMin: number | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'miniim-commit-path-'));
  const storage = await openSqliteStorage(join(dir, 'db.sqlite'));
  let fsyncs = 0;
  storage.observeCommits({ write() {}, durable() {}, fsync: () => void fsyncs++ });
  let batches = 0;
  const c = new GroupCommitter(storage, { overlapMin, onBatch: () => void batches++ });
  let k = 0;
  const msg = (): NewMessage => {
    const p = k % 50;
    return {
      id: `m${k}`,
      conv: `d:a${p}:b${p}`,
      members: [`a${p}`, `b${p}`],
      from: `a${p}`,
      kind: 'text',
      body: { text: `hello ${k}` },
      ts: Date.now(),
      clientMsgId: `c${k++}`,
    };
  };
  // Warm-up: conversations exist, statements are hot.
  await Promise.all(Array.from({ length: 200 }, () => c.append(msg())));
  batches = 0;
  fsyncs = 0;
  const lat: number[] = [];
  const pending: Promise<unknown>[] = [];
  const total = Math.round((rate * ms) / 1000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      for (; sent < due; sent++) {
        const at = performance.now();
        pending.push(c.append(msg()).then(() => lat.push(performance.now() - at)));
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(pending);
  const cpu = process.cpuUsage(cpu0);
  // The checkpoint worker is unref'd: keep this script's loop alive until it has exited.
  const keepAlive = setInterval(() => {}, 1000);
  await storage.close();
  clearInterval(keepAlive);
  rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  return {
    txPerMsg: batches / total,
    fsyncPerMsg: fsyncs / total,
    cpuUs: (cpu.user + cpu.system) / total,
    p50: lat[Math.floor(lat.length * 0.5)]!,
    p99: lat[Math.floor(lat.length * 0.99)]!,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `commit-path A/B · ${rounds} interleaved rounds of ${ms} ms per rate and rule · load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log('| rate msgs/s | rule | transactions/msg | fsyncs/msg | CPU µs/msg (median) | append→durable p50 ms | p99 ms |');
console.log('|---:|---|---:|---:|---:|---:|---:|');
for (const rate of rates) {
  const res = new Map<string, Awaited<ReturnType<typeof runOnce>>[]>();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? Object.entries(RULES).reverse() : Object.entries(RULES);
    for (const [name, min] of order) {
      const list = res.get(name) ?? [];
      list.push(await runOnce(rate, min));
      res.set(name, list);
    }
  }
  for (const [name, list] of res) {
    const m = (f: (x: (typeof list)[number]) => number, d = 2) => median(list.map(f)).toFixed(d);
    console.log(
      `| ${rate} | ${name} | ${m((x) => x.txPerMsg)} | ${m((x) => x.fsyncPerMsg)} | ${m((x) => x.cpuUs, 0)} | ${m((x) => x.p50)} | ${m((x) => x.p99)} |`,
    );
  }
}
console.log(
  `load average after: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
