/**
 * Where the SQLite WAL starts again from the top, and what that costs the commit path: the real storage and
 * group committer in one process, the WAL first grown by a closed-loop burst (as the bench's closed loop does),
 * then appends at a fixed rate. Every commit's synchronous part (transaction + COMMIT, where SQLite runs the main
 * connection's automatic checkpoint) is timed and the wal-index (`-shm`) read before and after it, so a commit
 * that ran the safety-net checkpoint on the event loop (nBackfill moved during it) and each WAL restart
 * (mxFrame fell) are seen. Reports, per rate: restarts and safety-net checkpoints per second, how long those
 * commits held the loop, append→durable p50/p99/p99.9 (from each append's intended time, as the bench's open loop
 * measures, so a stalled loop delays the appends due meanwhile too), the p99 without the appends that overlapped
 * such a commit, and the share of the appends over the p99 that overlapped one.
 *
 * `--base DIR` (a tree unpacked like BENCH_BASELINE_DIR: `git archive <commit> packages | tar -x -C DIR`, node_modules
 * linked in) runs that tree's storage and committer too, the two alternated for `--rounds`.
 *
 *   npx tsx bench/wal-restart.ts [--rates 1200,6000] [--ms 20000] [--base DIR --rounds 2]
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GroupCommitter as Committer } from '../packages/server/src/core/group-committer.js';
import type { openSqliteStorage as OpenStorage } from '../packages/server/src/storage/sqlite/sqlite-storage.js';
import type { AppendResult, NewMessage } from '../packages/server/src/storage/storage.js';
import { atFixedRate, messageMaker } from './lib/in-process-appends.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const rates = arg('rates', '1200,6000').split(',').map(Number);
const ms = Number(arg('ms', '20000'));
const base = arg('base', '');
const rounds = Number(arg('rounds', base ? '2' : '1'));

interface Build {
  name: string;
  GroupCommitter: typeof Committer;
  openSqliteStorage: typeof OpenStorage;
}
async function load(name: string, root: URL): Promise<Build> {
  const { GroupCommitter } = await import(new URL('packages/server/src/core/group-committer.ts', root).href);
  const { openSqliteStorage } = await import(new URL('packages/server/src/storage/sqlite/sqlite-storage.ts', root).href);
  return { name, GroupCommitter, openSqliteStorage };
}
const builds = [await load('this tree', new URL('../', import.meta.url))];
if (base) builds.unshift(await load('base', pathToFileURL(`${base.replace(/\/$/, '')}/`)));

type Span = [number, number];
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))]! : Number.NaN;
};

/** The wal-index header: mxFrame (frames in the WAL) and nBackfill (frames copied into the database). */
function walIndex(fd: number, buf: Buffer): { mx: number; nb: number } {
  readSync(fd, buf, 0, 100, 0);
  return { mx: buf.readUInt32LE(16), nb: buf.readUInt32LE(96) };
}

interface Commit {
  span: Span;
  mx0: number;
  mx1: number;
  nb0: number;
  nb1: number;
}

async function run(rate: number, { name, GroupCommitter, openSqliteStorage }: Build) {
  const dir = mkdtempSync(join(tmpdir(), 'miniim-wal-restart-'));
  const file = join(dir, 'db.sqlite');
  let workerCkpts = 0;
  const storage = await openSqliteStorage(file, { checkpoint: { onCheckpoint: () => void workerCkpts++ } });
  // biome-ignore lint/suspicious/noExplicitAny: instrumentation of a private member
  const s = storage as any;
  const inner = s.appendTx as (items: readonly NewMessage[]) => AppendResult[];
  const commits: Commit[] = [];
  let fd = -1;
  const buf = Buffer.alloc(100);
  s.appendTx = (items: readonly NewMessage[]) => {
    if (fd < 0) return inner(items);
    const a = walIndex(fd, buf);
    const t0 = performance.now();
    const r = inner(items);
    const t1 = performance.now();
    const b = walIndex(fd, buf);
    commits.push({ span: [t0, t1], mx0: a.mx, mx1: b.mx, nb0: a.nb, nb1: b.nb });
    return r;
  };
  const c = new GroupCommitter(storage);
  const msg = messageMaker();
  await Promise.all(Array.from({ length: 200 }, () => c.append(msg())));
  fd = openSync(`${file}-shm`, 'r');
  // Closed-loop burst until the WAL has started again from the top once (its file is then at full size).
  let restarted = false;
  while (!restarted) {
    const before = commits.length;
    await Promise.all(Array.from({ length: 400 }, () => c.append(msg())));
    restarted = commits.slice(before).some((x) => x.mx1 < x.mx0);
  }
  commits.length = 0;
  workerCkpts = 0;
  const appends: Span[] = [];
  const pending: Promise<unknown>[] = [];
  const t0 = performance.now();
  // From the intended send time (as the bench's open loop): a loop stall delays the sends due meanwhile too.
  await atFixedRate(rate, ms, (at) => {
    pending.push(c.append(msg()).then(() => void appends.push([at, performance.now()])));
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  closeSync(fd);
  // A --base tree from before the checkpointer's close() kept the loop alive would end the script here.
  const keepAlive = setInterval(() => {}, 1000);
  await storage.close();
  clearInterval(keepAlive);
  rmSync(dir, { recursive: true, force: true });

  // A commit ran a checkpoint on the loop when nBackfill moved during it with the WAL at the safety net.
  const backstop = commits.filter((x) => x.nb1 > x.nb0 && x.mx1 >= 10000);
  const restarts = commits.filter((x) => x.mx1 < x.mx0);
  const took = (x: Commit) => x.span[1] - x.span[0];
  const other = commits.filter((x) => !backstop.includes(x)).map(took);
  const lat = appends.map(([a, b]) => b - a);
  const p99 = q(lat, 0.99);
  const hit = (x: Span) => backstop.some((b) => b.span[0] <= x[1] && b.span[1] >= x[0]);
  const slow = appends.filter(([a, b]) => b - a >= p99);
  const clean = appends.filter((x) => !hit(x)).map(([a, b]) => b - a);
  const f = (x: number) => x.toFixed(2);
  const restartMs = restarts.map(took);
  const stalled = appends.filter(hit).map(([a, b]) => b - a);
  console.log(
    `| ${rate} | ${name} | ${(commits.length / elapsed).toFixed(0)} | ${(restarts.length / elapsed).toFixed(2)} | ${(backstop.length / elapsed).toFixed(2)} (${backstop.length}) | ` +
      `${backstop.map((x) => f(took(x))).join(', ') || '—'} | ${f(q(other, 0.5))} / ${f(q(other, 0.99))} / ${f(Math.max(...other))} | ` +
      `${f(q(lat, 0.5))} / ${f(p99)} / ${f(q(lat, 0.999))} | ${f(q(clean, 0.99))} | ${slow.length ? ((slow.filter(hit).length / slow.length) * 100).toFixed(0) : 0} % | ` +
      `${((stalled.length / appends.length) * 100).toFixed(2)} %: ${f(q(stalled, 0.5))} / ${f(q(stalled, 0.99))} | ${workerCkpts} | ${restartMs.length ? `${f(q(restartMs, 0.5))} / ${f(Math.max(...restartMs))}` : '—'} | ${Math.max(...commits.map((x) => x.mx1))} |`,
  );
}

console.log(
  `wal-restart · ${ms} ms per rate · load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(
  '| rate msgs/s | build | commits/s | WAL restarts/s | loop checkpoints/s (n) | their commit ms | other commits p50 / p99 / max ms | append→durable p50 / p99 / p99.9 ms | p99 without appends overlapping a loop checkpoint | appends ≥ p99 overlapping one | all appends overlapping one: share, their p50 / p99 ms | worker checkpoints | restarting commits p50 / max ms | max WAL frames |',
);
console.log('|---:|---|---:|---:|---:|---|---|---|---:|---:|---|---:|---|---:|');
for (const rate of rates) {
  for (let r = 0; r < rounds; r++) for (const b of r % 2 ? [...builds].reverse() : builds) await run(rate, b);
}
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
