/** Summarises a V8 `.cpuprofile` (from `--cpu-prof`): top functions by self time. */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { repoRoot } from './spawn-node.js';

interface ProfileNode {
  id: number;
  hitCount?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Top `n` functions by self time, as `percent  name  file:line` lines. */
export function topSelfTime(file: string, n = 20): string[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const total = prof.samples.length || 1;
  const byFn = new Map<string, number>();
  for (const node of prof.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.startsWith('file://') ? relative(repoRoot, url.slice(7)) : url || '(native)';
    const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
  }
  return [...byFn]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

/** Self time aggregated per source file (node_modules packages grouped by package). */
export function selfTimeByFile(file: string, n = 15): string[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const total = prof.samples.length || 1;
  const byFile = new Map<string, number>();
  for (const node of prof.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    let url = node.callFrame.url;
    if (url.startsWith('file://')) url = relative(repoRoot, url.slice(7));
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const key = m ? `npm:${m[1]}` : url || `(${node.callFrame.functionName || 'native'})`;
    byFile.set(key, (byFile.get(key) ?? 0) + hits);
  }
  return [...byFile]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}
