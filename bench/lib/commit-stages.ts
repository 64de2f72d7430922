/**
 * The MiniIM commit path's stage histograms (`MINIIM_COMMIT_STATS=on`, scraped from `/metrics` before
 * and after a phase): batch size, queue, write, durable, fsync, total — count, mean and
 * bucket-interpolated p50/p99 of the phase alone.
 */
interface PromHistogram {
  buckets: Array<[number, number]>;
  sum: number;
  count: number;
}

export const COMMIT_STAGES = ['batch_size', 'queue_seconds', 'write_seconds', 'durable_seconds', 'fsync_seconds', 'total_seconds'] as const;

export interface StageSummary {
  count: number;
  mean: number;
  p50: number;
  p99: number;
}

/** Parses the `miniim_commit_*` histograms of a Prometheus text exposition. */
export function parseCommitHistograms(text: string): Map<string, PromHistogram> {
  const out = new Map<string, PromHistogram>();
  const get = (name: string) => {
    const h = out.get(name) ?? { buckets: [], sum: 0, count: 0 };
    out.set(name, h);
    return h;
  };
  for (const line of text.split('\n')) {
    const m = /^miniim_commit_(\w+?)_(bucket|sum|count)(?:\{le="([^"]+)"\})? (\S+)$/.exec(line);
    if (!m) continue;
    const h = get(m[1]);
    const v = Number(m[4]);
    if (m[2] === 'bucket') h.buckets.push([m[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[3]), v]);
    else if (m[2] === 'sum') h.sum = v;
    else h.count = v;
  }
  return out;
}

/** Quantile of a cumulative bucket list, interpolated linearly inside the bucket. */
function quantile(buckets: Array<[number, number]>, total: number, q: number): number {
  const rank = q * total;
  let prevLe = 0;
  let prevN = 0;
  for (const [le, n] of buckets) {
    if (n >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return n === prevN ? le : prevLe + ((le - prevLe) * (rank - prevN)) / (n - prevN);
    }
    prevLe = le;
    prevN = n;
  }
  return prevLe;
}

/** Per stage, what happened between two scrapes; seconds are turned into milliseconds. */
export function commitStagesBetween(before: string, after: string): Record<string, StageSummary> {
  const a = parseCommitHistograms(before);
  const b = parseCommitHistograms(after);
  const out: Record<string, StageSummary> = {};
  for (const stage of COMMIT_STAGES) {
    const hb = b.get(stage);
    if (!hb) continue;
    const ha = a.get(stage);
    const count = hb.count - (ha?.count ?? 0);
    if (count <= 0) continue;
    const buckets = hb.buckets.map(([le, n], i) => [le, n - (ha?.buckets[i]?.[1] ?? 0)] as [number, number]);
    const scale = stage.endsWith('_seconds') ? 1000 : 1;
    const r = (v: number) => Math.round(v * scale * 1000) / 1000;
    out[stage.replace(/_seconds$/, '')] = {
      count,
      mean: r((hb.sum - (ha?.sum ?? 0)) / count),
      p50: r(quantile(buckets, count, 0.5)),
      p99: r(quantile(buckets, count, 0.99)),
    };
  }
  return out;
}

/** One log line: `batch n=… mean … p99 …; queue …`. */
export function formatStages(s: Record<string, StageSummary>): string {
  return Object.entries(s)
    .map(([k, v]) => `${k} n=${v.count} mean=${v.mean} p50=${v.p50} p99=${v.p99}`)
    .join(' · ');
}
