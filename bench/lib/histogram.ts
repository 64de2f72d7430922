/** HDR-histogram helpers shared by generator workers and the orchestrator (values in microseconds). */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Percentile summary of a latency histogram, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

/** A histogram for latencies from 1 µs to 10 minutes with 3 significant digits. */
export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** Records a latency given in milliseconds (fractional allowed). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(s: string): Histogram {
  return hdr.decodeFromCompressedBase64(s);
}

/** Merges encoded histograms from several workers into one. */
export function mergeEncoded(encoded: string[]): Histogram {
  const total = newHistogram();
  for (const e of encoded) total.add(decodeHistogram(e));
  return total;
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (v: number) => Math.round(v) / 1000;
  if (h.totalCount === 0) return { count: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 };
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
    meanMs: ms(h.mean),
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export function nowAbs(): number {
  return performance.timeOrigin + performance.now();
}
