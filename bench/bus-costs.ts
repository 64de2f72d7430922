/**
 * `bus-costs`: the per-message costs that decide the cluster bus design (docs/architecture.md),
 * measured in this process's CPU time:
 *  (a) one channel — what a node spends on a record addressed to users it does not hold
 *      (RedisBus.receive: split, JSON.parse of the header, the gateway's lookup: nothing local);
 *  (b) per-node channels — what a publisher would spend to find the recipient's node in a
 *      user→node table in Redis (one pipelined SMEMBERS per message, ioredis, real Redis);
 *  (c) the publish of a batch on the one channel, per record (join + PUBLISH of the batch).
 *
 *   npx tsx bench/bus-costs.ts [--records 200000] [--out bench/results/cluster]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { RedisBus } from '../packages/server/src/cluster/redis-bus.js';
import { createLogger } from '../packages/server/src/logger.js';
import { BENCH_REDIS_URL } from './lib/cluster-process.js';
import { repoRoot } from './lib/spawn-node.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}
const RECORDS = Number(arg('records', '200000'));
const OUT = path.resolve(arg('out', path.join(repoRoot, 'bench/results/cluster')));
const BATCH = 100;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

/** A `msg` push as the core serialises it (about the size of the bench's text message frame). */
function frame(i: number): string {
  return JSON.stringify({
    op: 'msg',
    msg: {
      id: `m${i.toString(36)}abcdef0001`,
      conv: `u:da${i % 500}|db${i % 500}`,
      seq: i,
      from: `da${i % 500}`,
      kind: 'text',
      body: { text: 'bench message: the quick brown fox jumps over the lazy dog' },
      ts: 1_790_000_000_000 + i,
      clientMsgId: `closed.da${i % 500}.${i}`,
    },
  });
}

async function main(): Promise<void> {
  const loadBefore = load();
  // (a) Receiving records for other nodes' users.
  const bus = new RedisBus({ url: BENCH_REDIS_URL, prefix: 'unused:', presenceTtlMs: 5000, logger: createLogger('silent') });
  const local = new Map<string, unknown>(); // this node's sessions by user: none of the addressed users
  let looked = 0;
  bus.onDelivery((d) => {
    for (const u of d.userIds) if (local.get(u)) looked++;
    looked++;
  });
  const batches: string[] = [];
  for (let b = 0; b < RECORDS / BATCH; b++) {
    const recs: string[] = [];
    for (let k = 0; k < BATCH; k++) {
      const i = b * BATCH + k;
      recs.push(`${JSON.stringify({ u: [`db${i % 500}`], x: 'sessionid0123456789abcd' })}\n${frame(i)}`);
    }
    batches.push(`othernode\n${recs.join('\n')}`);
  }
  const receive = (bus as unknown as { receive(m: string): void }).receive.bind(bus);
  for (const m of batches.slice(0, 200)) receive(m); // warm-up
  let c0 = cpuUs();
  for (const m of batches) receive(m);
  const receiveUs = (cpuUs() - c0) / RECORDS;

  // (c) Building and publishing the batch (per record).
  const pub = new Redis(BENCH_REDIS_URL);
  const channel = `miniim_bench_${randomBytes(4).toString('hex')}:bus`;
  const frames = Array.from({ length: RECORDS }, (_, i) => frame(i)); // serialised by the core, not the bus
  c0 = cpuUs();
  const headers: string[] = [];
  for (let i = 0; i < RECORDS; i++) headers.push(`${JSON.stringify({ u: [`db${i % 500}`], x: 'sessionid0123456789abcd' })}\n${frames[i]}`);
  const pubs: Promise<unknown>[] = [];
  for (let b = 0; b < RECORDS / BATCH; b++) pubs.push(pub.publish(channel, `me\n${headers.slice(b * BATCH, (b + 1) * BATCH).join('\n')}`));
  await Promise.all(pubs);
  const publishUs = (cpuUs() - c0) / RECORDS;

  // (b) A user→node table lookup per message (pipelined per batch, as a batching publisher would).
  const prefix = `miniim_bench_${randomBytes(4).toString('hex')}:`;
  const seed = pub.pipeline();
  for (let u = 0; u < 500; u++) seed.sadd(`${prefix}u:db${u}`, 'node1');
  await seed.exec();
  const lookups = Math.min(RECORDS, 100_000);
  c0 = cpuUs();
  for (let b = 0; b < lookups / BATCH; b++) {
    const p = pub.pipeline();
    for (let k = 0; k < BATCH; k++) p.smembers(`${prefix}u:db${(b * BATCH + k) % 500}`);
    await p.exec();
  }
  const lookupUs = (cpuUs() - c0) / lookups;
  const cleanup = pub.pipeline();
  for (let u = 0; u < 500; u++) cleanup.del(`${prefix}u:db${u}`);
  await cleanup.exec();
  pub.disconnect();

  const report = {
    at: new Date().toISOString(),
    node: process.version,
    records: RECORDS,
    batch: BATCH,
    loadAvgBefore: loadBefore,
    loadAvgAfter: load(),
    usPerRecord: {
      receiveForeign: Math.round(receiveUs * 100) / 100,
      publishOnOneChannel: Math.round(publishUs * 100) / 100,
      routingLookup: Math.round(lookupUs * 100) / 100,
    },
    checked: looked,
  };
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, 'latest-bus-costs.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\nwritten: ${file}\n`);
}

// The bus was never started (only its receive path is timed): its lazy connections are left to exit().
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
