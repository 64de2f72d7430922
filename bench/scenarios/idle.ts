/** `idle`: N authenticated sockets holding heartbeats; server RSS and heap per socket, CPU while idle. */
import type { Scenario, TargetResult } from '../lib/scenario.js';
import { round, spread } from '../lib/scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const idleScenario: Scenario = {
  name: 'idle',
  title: 'Idle connections',
  method:
    'N authenticated sockets spread over the generator workers and loopback source addresses, then held ' +
    '(answering WebSocket pings). Memory is measured after a forced GC (through the V8 inspector) before ' +
    'connecting and after holding; CPU is the server process time (/proc/<pid>/stat) during the hold.',
  columns: [
    { key: 'sockets', label: 'sockets', digits: 0 },
    { key: 'connectMs', label: 'connect all (ms)', digits: 0 },
    { key: 'rssPerSocketKB', label: 'RSS/socket (KB)', digits: 2 },
    { key: 'heapPerSocketKB', label: 'heap/socket (KB)', digits: 2 },
    { key: 'idleCpuPct', label: 'idle CPU (% core)', digits: 2 },
    { key: 'rssMB', label: 'RSS total (MB)', digits: 1 },
  ],
  ratios: [
    { row: 'idle', metric: 'rssPerSocketKB', label: 'RSS per socket' },
    { row: 'idle', metric: 'heapPerSocketKB', label: 'heap per socket' },
  ],
  chart: { metric: 'rssPerSocketKB', label: 'server RSS per idle socket (KB, lower is better)' },
  targets: ['miniim', 'raw', 'socketio', 'blog'],
  params: (o) => ({ ...o.sizes.idle }),
  async run(ctx): Promise<TargetResult> {
    const { sockets, holdMs, settleMs } = ctx.opts.sizes.idle;
    const users = Array.from({ length: sockets }, (_, k) => `idle${k}`);
    await sleep(300);
    const m0 = await ctx.server.memoryAfterGc();
    const rss0 = m0?.rss ?? ctx.server.rssBytes();
    const t0 = performance.now();
    const parts = spread(users, ctx.workers.size);
    const r = await ctx.workers.all<{ failed: number; errors: string[] }>('connect', (i) => ({
      users: parts[i],
      concurrency: 100,
    }));
    const connectMs = performance.now() - t0;
    const failed = r.reduce((s, x) => s + x.failed, 0);
    const n = sockets - failed;
    await sleep(settleMs);
    const c0 = ctx.server.cpuMs();
    await sleep(holdMs);
    const cpuMs = ctx.server.cpuMs() - c0;
    const m1 = await ctx.server.memoryAfterGc();
    const rss1 = m1?.rss ?? ctx.server.rssBytes();
    const notes = failed
      ? [
          `${failed} sockets failed to connect: ${r
            .flatMap((x) => x.errors)
            .slice(0, 3)
            .join('; ')}`,
        ]
      : [];
    if (!m1) notes.push('heap not measured (no inspector)');
    return {
      target: ctx.target.name,
      label: ctx.target.label,
      rows: [
        {
          key: 'idle',
          metrics: {
            sockets: n,
            connectMs: round(connectMs, 0),
            rssPerSocketKB: n ? round((rss1 - rss0) / n / 1024, 2) : null,
            heapPerSocketKB: m0 && m1 && n ? round((m1.heapUsed - m0.heapUsed) / n / 1024, 2) : null,
            idleCpuPct: round((cpuMs / holdMs) * 100, 2),
            rssMB: round(rss1 / 1048576, 1),
          },
        },
      ],
      lost: 0,
      duplicated: 0,
      notes,
      details: { failed, rssBefore: rss0, rssAfter: rss1, memBefore: m0, memAfter: m1 },
    };
  },
  goals(results) {
    const get = (t: string) => results.find((x) => x.target === t && !x.skipped)?.rows[0].metrics.rssPerSocketKB;
    const mi = get('miniim');
    const raw = get('raw');
    const sio = get('socketio');
    if (mi == null) return [];
    return [
      {
        goal: 'idle RSS/socket ≤ 1.5× raw ws',
        value: raw ? `${round(mi / raw, 2)}×` : 'n/a',
        met: raw ? mi <= 1.5 * raw : null,
      },
      {
        goal: 'idle RSS/socket ≤ 0.5× Socket.IO',
        value: sio ? `${round(mi / sio, 2)}×` : 'n/a',
        met: sio ? mi <= 0.5 * sio : null,
      },
    ];
  },
};
