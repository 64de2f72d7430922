/**
 * `reconnect`: V clients drop at once, feeders send them messages while they are away, then all
 * come back at once and fetch what they missed (`history after` their last seq) while one more live
 * message each arrives. Reports the time until every client is in sync and checks that no acked
 * message was lost or duplicated.
 */
import { mergeEncoded, nowAbs, summarize } from '../lib/histogram.js';
import type { Scenario, TargetResult } from '../lib/scenario.js';
import { round, spread } from '../lib/scenario.js';

interface BackResult {
  victims: number;
  reconnected: number;
  failed: number;
  liveAcked: number;
  unsynced: number;
  lost: number;
  duplicated: number;
  errors: number;
  errorSamples: string[];
  allInSyncMs: number;
  connectHist: string;
  syncHist: string;
}

export const reconnectScenario: Scenario = {
  name: 'reconnect',
  title: 'Reconnect storm',
  method:
    'V victims each share a direct conversation with one of F feeders (one primed message each). All ' +
    'victims drop their sockets at once; feeders send each victim K messages (acked = stored); then all ' +
    'victims reconnect at once (at most `concurrency` handshakes in flight per worker), call `history ' +
    'after <last seq>` until `hasMore` is false, while feeders send one more live message each. "in sync" = ' +
    'the victim has every message acked to it. Raw ws has no storage: only the reconnect time is measured.',
  columns: [
    { key: 'victims', label: 'clients', digits: 0 },
    { key: 'missed', label: 'msgs to sync', digits: 0 },
    { key: 'allInSyncMs', label: 'all in sync (ms)', digits: 0 },
    { key: 'syncP50', label: 'sync p50 ms', digits: 0 },
    { key: 'syncP99', label: 'sync p99 ms', digits: 0 },
    { key: 'connectP99', label: 'reconnect p99 ms', digits: 0 },
    { key: 'serverCpuMs', label: 'server CPU ms', digits: 0 },
    { key: 'unsynced', label: 'not in sync', digits: 0 },
  ],
  ratios: [{ row: 'reconnect', metric: 'allInSyncMs', label: 'time until all in sync' }],
  chart: { metric: 'allInSyncMs', label: 'ms until all clients are back in sync (lower is better)' },
  targets: ['miniim', 'raw', 'socketio', 'blog'],
  params: (o) => ({ ...o.sizes.reconnect }),
  async run(ctx): Promise<TargetResult> {
    const r = ctx.opts.sizes.reconnect;
    const victims = spread(
      Array.from({ length: r.victims }, (_, k) => `rv${k}`),
      ctx.workers.size,
    );
    const feeders = spread(
      Array.from({ length: Math.max(r.feeders, ctx.workers.size) }, (_, k) => `rf${k}`),
      ctx.workers.size,
    );
    const conn = await ctx.workers.all<{ failed: number; errors: string[] }>('connect', (i) => ({
      users: [...feeders[i], ...victims[i]],
      concurrency: 100,
    }));
    const failed = conn.reduce((s, c) => s + c.failed, 0);
    if (failed) throw new Error(`${failed} users failed to connect: ${conn.flatMap((c) => c.errors).join('; ')}`);
    await ctx.workers.all('recon-init', (i) => ({
      victims: victims[i],
      feeders: feeders[i],
      perVictim: r.perVictim,
      storage: ctx.target.storage,
      concurrency: r.concurrency,
      tag: `rc${i}`,
    }));
    await ctx.workers.all('recon-prime');
    await ctx.workers.all('recon-drop');
    const offline = await ctx.workers.all<number>('recon-offline');
    const c0 = ctx.server.cpuMs();
    const startAt = nowAbs() + 300;
    const back = await ctx.workers.all<BackResult>('recon-back', () => ({ startAt, timeoutMs: r.timeoutMs }));
    const cpuMs = ctx.server.cpuMs() - c0;
    const sum = (k: keyof BackResult) => back.reduce((s, b) => s + (b[k] as number), 0);
    const sync = summarize(mergeEncoded(back.map((b) => b.syncHist)));
    const connect = summarize(mergeEncoded(back.map((b) => b.connectHist)));
    const missed = offline.reduce((s, n) => s + n, 0) + sum('liveAcked');
    const notes: string[] = [];
    if (!ctx.target.storage) notes.push('no storage: nothing to sync, reconnect time only');
    if (sum('errors'))
      notes.push(
        `${sum('errors')} errors (${back
          .flatMap((b) => b.errorSamples)
          .slice(0, 3)
          .join('; ')})`,
      );
    ctx.log(`    ${r.victims} clients in sync after ${round(Math.max(...back.map((b) => b.allInSyncMs)), 0)} ms`);
    return {
      target: ctx.target.name,
      label: ctx.target.label,
      rows: [
        {
          key: 'reconnect',
          metrics: {
            victims: r.victims,
            missed,
            allInSyncMs: sum('unsynced') ? null : round(Math.max(...back.map((b) => b.allInSyncMs)), 0),
            syncP50: sync.p50Ms,
            syncP99: sync.p99Ms,
            connectP99: connect.p99Ms,
            serverCpuMs: round(cpuMs, 0),
            unsynced: sum('unsynced'),
          },
        },
      ],
      lost: ctx.target.storage ? sum('lost') : 0,
      duplicated: sum('duplicated'),
      notes,
    };
  },
  goals(results) {
    const mi = results.find((x) => x.target === 'miniim' && !x.skipped)?.rows[0]?.metrics;
    if (!mi) return [];
    const ms = mi.allInSyncMs;
    return [
      {
        goal: `${mi.victims} clients back in sync within 10 s (target: 10,000)`,
        value: ms != null ? `${ms} ms` : `${mi.unsynced} never synced`,
        met: ms != null ? ms <= 10_000 : false,
      },
    ];
  },
};
