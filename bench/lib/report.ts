/** Builds, prints and writes a scenario report (JSON + text table + ratios + goals). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Mode } from './options.js';
import type { Column, Goal, RatioSpec, TargetResult } from './scenario.js';
import { svgBarChart } from './svg-chart.js';
import type { TargetName } from './targets.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memGB: number;
  node: string;
  platform: string;
  /** 1/5/15-minute load averages around the run: other processes competing for the CPU. */
  loadAvgBefore?: number[];
  loadAvgAfter?: number[];
}

export interface RatioRow {
  label: string;
  /** MiniIM value / baseline value, per baseline target (null: not measured). */
  vs: Partial<Record<TargetName, number | null>>;
}

/** The JSON written per scenario run (`<scenario>-<date>.json` and `latest-<scenario>.json`). */
export interface ScenarioReport {
  scenario: string;
  title: string;
  method: string;
  mode: Mode;
  date: string;
  command: string;
  machine: Machine;
  params: Record<string, unknown>;
  columns: Column[];
  chart: { metric: string; label: string; row?: string };
  /** Every target's result; with rounds > 1 every round's, in round order (`TargetResult.round`). */
  results: TargetResult[];
  /** MiniIM / baseline ratios (with rounds > 1: of the first round). */
  ratios: RatioRow[];
  /** The targets; with rounds > 1 the medians of the rounds' ratios (`medianGoals`). */
  goals: Goal[];
  /** With `--rounds N` > 1: each round's order, load and goals. */
  rounds?: RoundSummary[];
  /** Total lost and duplicated messages over every target (must be 0). */
  lost: number;
  duplicated: number;
  durationMs: number;
}

/** One round of a scenario run with `--rounds N`. */
export interface RoundSummary {
  round: number;
  /** The order the targets ran in (reversed every other round). */
  order: TargetName[];
  loadAvgBefore: number[];
  loadAvgAfter: number[];
  goals: Goal[];
}

export const BASELINES: TargetName[] = ['raw', 'socketio', 'socketio-nofsync', 'blog'];

export function machine(): Machine {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memGB: Math.round(totalmem() / 1073741824),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** MiniIM / baseline for every ratio spec. */
export function computeRatios(specs: RatioSpec[], results: TargetResult[]): RatioRow[] {
  const value = (t: TargetName, s: RatioSpec) =>
    results.find((r) => r.target === t && !r.skipped)?.rows.find((r) => r.key === s.row)?.metrics[s.metric] ?? null;
  return specs.map((s) => {
    const mi = value('miniim', s);
    const vs: RatioRow['vs'] = {};
    for (const b of BASELINES) {
      const bv = value(b, s);
      vs[b] = mi != null && bv ? Math.round((mi / bv) * 100) / 100 : null;
    }
    return { label: s.label, vs };
  });
}

const fmt = (v: number | null | undefined, digits = 1) => (v == null ? '–' : v.toFixed(digits));

/** Plain-text table of a report (what the CLI prints). */
export function textTable(rep: ScenarioReport): string {
  const header = ['server', 'row', ...rep.columns.map((c) => c.label)];
  const lines: string[][] = [];
  for (const r of rep.results) {
    if (r.skipped) {
      lines.push([r.label, `skipped: ${r.skipped}`]);
      continue;
    }
    for (const row of r.rows) lines.push([r.label, row.key, ...rep.columns.map((c) => fmt(row.metrics[c.key], c.digits))]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(line)];
  if (rep.ratios.length) {
    out.push('', 'MiniIM / baseline:');
    for (const r of rep.ratios) out.push(`  ${r.label.padEnd(44)} ${BASELINES.map((b) => `${b}=${r.vs[b] == null ? 'n/a' : `${r.vs[b]}×`}`).join('  ')}`);
  }
  for (const r of rep.rounds ?? []) {
    out.push('', `round ${r.round} (order ${r.order.join(', ')}; load ${r.loadAvgBefore.join('/')} → ${r.loadAvgAfter.join('/')}):`);
    for (const g of r.goals) if (g.value !== 'n/a') out.push(`  ${g.goal}: ${g.value}`);
  }
  if (rep.goals.length) {
    out.push('', `MiniIM targets (measured, not asserted${roundsNote(rep)}):`);
    for (const g of rep.goals) out.push(`  [${g.met == null ? ' ? ' : g.met ? 'met' : 'MISS'}] ${g.goal}: ${g.value}`);
  }
  for (const r of rep.results) for (const n of r.notes) out.push(`  note (${r.target}): ${n}`);
  out.push(`lost: ${rep.lost}, duplicated: ${rep.duplicated}`);
  out.push(`machine: ${rep.machine.cpus} × ${rep.machine.cpuModel}, ${rep.machine.memGB} GB, Node ${rep.machine.node}`);
  out.push(`command: ${rep.command}`);
  return out.join('\n');
}

/** How the goals were taken when the report has several rounds ('' for one). */
export function roundsNote(rep: ScenarioReport): string {
  const n = rep.rounds?.length ?? 0;
  return n > 1 ? `; ratios are the median of ${n} rounds' ratios, targets alternated in order, fresh processes each round` : '';
}

/** Pretty JSON with short arrays of numbers on one line, as the repo's formatter (biome) wants it. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\n\s+([-\d.eE,\s]+|(?:null|true|false|[-\d.eE]+)(?:,\s+(?:null|true|false|[-\d.eE]+))*)\n\s*\]/g,
    (m, inner: string) => {
      const flat = `[${inner.trim().split(/,\s+/).join(', ')}]`;
      return flat.length <= 80 ? flat : m;
    },
  );
}

/** Writes `<scenario>-<date>.json`, `latest-<scenario>.json` and `charts/<scenario>.svg` under `outDir`. */
export function writeReport(outDir: string, rep: ScenarioReport): string {
  mkdirSync(join(outDir, 'charts'), { recursive: true });
  const stamp = rep.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const file = join(outDir, `${rep.scenario}-${stamp}.json`);
  const text = `${toJson(rep)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(outDir, `latest-${rep.scenario}.json`), text);
  writeFileSync(join(outDir, 'charts', `${rep.scenario}.svg`), svgBarChart(rep));
  return file;
}
