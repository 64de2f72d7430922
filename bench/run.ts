/**
 * Benchmark orchestrator: `npm run bench [-- --full | --smoke] [--scenarios …] [--targets …]`.
 * For each scenario and each server (MiniIM and the baselines) it starts the server in its own
 * process, drives it with generator worker processes, prints a table and writes JSON results
 * (and, for quick/full runs into bench/results, regenerates docs/benchmarks.md).
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchServer } from './lib/cluster-process.js';
import { writeDocs } from './lib/docs-writer.js';
import { type BenchOptions, parseOptions, type ScenarioName } from './lib/options.js';
import { computeRatios, machine, type RoundSummary, type ScenarioReport, textTable, writeReport } from './lib/report.js';
import type { Scenario, TargetResult } from './lib/scenario.js';
import { medianGoals, startTarget, withTarget } from './lib/scenario.js';
import { repoRoot } from './lib/spawn-node.js';
import { TARGETS, type TargetName } from './lib/targets.js';
import { WorkerPool } from './lib/worker-pool.js';
import { clusterGroupScenario, clusterScenario } from './scenarios/cluster.js';
import { directScenario } from './scenarios/direct.js';
import { groupRatios, groupScenario } from './scenarios/group.js';
import { idleScenario } from './scenarios/idle.js';
import { reconnectScenario } from './scenarios/reconnect.js';

const SCENARIO_IMPLS: Record<ScenarioName, Scenario> = {
  idle: idleScenario,
  direct: directScenario,
  group: groupScenario,
  reconnect: reconnectScenario,
  cluster: clusterScenario,
  'cluster-group': clusterGroupScenario,
};

const log = (line: string) => process.stdout.write(`${line}\n`);

let workers: WorkerPool | undefined;

/** The shared generator workers, replaced if one of them died. */
function generator(opts: BenchOptions): WorkerPool {
  if (!workers || workers.exited) {
    void workers?.close();
    workers = WorkerPool.start(opts.workers);
  }
  return workers;
}

/** The result of a target that could not run a scenario (the run goes on). */
function failedResult(name: TargetName, message: string): TargetResult {
  return { target: name, label: TARGETS[name].label, skipped: `error: ${message.slice(0, 500)}`, failed: true, rows: [], lost: 0, duplicated: 0, notes: [] };
}

/** Runs one scenario against one target; failures become a `failed` result instead of aborting the run. */
async function runOne(opts: BenchOptions, sc: Scenario, name: TargetName, shared?: BenchServer): Promise<TargetResult> {
  const target = TARGETS[name];
  log(`  ${sc.name} × ${target.label} …`);
  const t0 = Date.now();
  try {
    const r = await withTarget(opts, target, generator(opts), log, (ctx) => sc.run(ctx), shared);
    log(`    (${((Date.now() - t0) / 1000).toFixed(1)} s)${r.skipped ? ` skipped: ${r.skipped}` : ''}`);
    return r;
  } catch (err) {
    const message = (err as Error).message;
    log(`    FAILED: ${message.slice(0, 2000)}`);
    return failedResult(name, message);
  }
}

function buildReport(opts: BenchOptions, sc: Scenario, results: TargetResult[], durationMs: number, load: number[], rounds?: RoundSummary[]): ScenarioReport {
  const ratioSpecs = sc.name === 'group' ? groupRatios(opts.sizes.group.sizes) : sc.ratios;
  const first = rounds ? results.filter((r) => r.round === 1) : results;
  return {
    scenario: sc.name,
    title: sc.title,
    method: sc.method,
    mode: opts.mode,
    date: new Date().toISOString(),
    command: opts.command,
    machine: {
      ...machine(),
      loadAvgBefore: load,
      loadAvgAfter: loadNow(),
    },
    params: { ...sc.params(opts), workers: opts.workers, sourceAddrs: opts.sourceAddrs.length, ...(rounds ? { rounds: rounds.length } : {}) },
    columns: sc.columns,
    chart: sc.chart,
    results,
    ratios: computeRatios(ratioSpecs, first),
    goals: rounds ? medianGoals(rounds.map((r) => r.goals)) : sc.goals(results),
    ...(rounds ? { rounds } : {}),
    lost: results.reduce((s, r) => s + r.lost, 0),
    duplicated: results.reduce((s, r) => s + r.duplicated, 0),
    durationMs,
  };
}

const loadNow = () => loadavg().map((x) => Math.round(x * 100) / 100);

/**
 * `--rounds N` > 1: the scenario's targets N times, in reverse order every other round, each on a fresh
 * server; every round's results (labelled `· round k`) and goals, for the medians of buildReport.
 */
async function runRounds(opts: BenchOptions, sc: Scenario, names: TargetName[]): Promise<{ results: TargetResult[]; rounds: RoundSummary[] }> {
  const results: TargetResult[] = [];
  const rounds: RoundSummary[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const order = round % 2 ? names : [...names].reverse();
    const loadAvgBefore = loadNow();
    log(`-- round ${round}/${opts.rounds}: ${order.join(', ')} (load ${loadAvgBefore.join(' / ')})`);
    const byName = new Map<TargetName, TargetResult>();
    for (const name of order) byName.set(name, await runOne(opts, sc, name));
    const these = names.map((n) => byName.get(n)!);
    const goals = sc.goals(these);
    rounds.push({ round, order, loadAvgBefore, loadAvgAfter: loadNow(), goals });
    for (const g of goals) if (g.value !== 'n/a') log(`   round ${round}: ${g.goal}: ${g.value}`);
    results.push(...these.map((r) => ({ ...r, round, label: `${r.label} · round ${round}` })));
  }
  return { results, rounds };
}

const targetsOf = (opts: BenchOptions, sc: Scenario) => opts.targets ?? sc.targets;

/** Default: a fresh server per (scenario, target). Smoke: one server per target for all scenarios. */
async function runAll(opts: BenchOptions, emit: (rep: ScenarioReport) => void): Promise<void> {
  const scenarios = opts.scenarios.map((n) => SCENARIO_IMPLS[n]);
  if (!opts.shareServers) {
    for (const sc of scenarios) {
      const load = loadNow();
      const t0 = Date.now();
      log(`\n== ${sc.name}: ${sc.title} (${opts.mode}) ==`);
      if (opts.rounds > 1) {
        const { results, rounds } = await runRounds(opts, sc, targetsOf(opts, sc));
        emit(buildReport(opts, sc, results, Date.now() - t0, load, rounds));
        continue;
      }
      const results: TargetResult[] = [];
      for (const name of targetsOf(opts, sc)) results.push(await runOne(opts, sc, name));
      emit(buildReport(opts, sc, results, Date.now() - t0, load));
    }
    return;
  }
  const load = loadNow();
  const t0 = Date.now();
  const results = new Map<Scenario, TargetResult[]>(scenarios.map((sc) => [sc, []]));
  const names = [...new Set(scenarios.flatMap((sc) => targetsOf(opts, sc)))];
  for (const name of names) {
    let server: BenchServer | undefined;
    try {
      server = await startTarget(TARGETS[name]);
    } catch (err) {
      const message = (err as Error).message;
      log(`  ${name}: FAILED to start: ${message.slice(0, 2000)}`);
      for (const sc of scenarios) if (targetsOf(opts, sc).includes(name)) results.get(sc)!.push(failedResult(name, message));
      continue;
    }
    try {
      for (const sc of scenarios) if (targetsOf(opts, sc).includes(name)) results.get(sc)!.push(await runOne(opts, sc, name, server));
    } finally {
      await server?.stop();
    }
  }
  for (const sc of scenarios) emit(buildReport(opts, sc, results.get(sc)!, Date.now() - t0, load));
}

/** Runs the benchmark for the given CLI arguments; returns the reports and whether every target ran. */
export async function runBench(argv: string[]): Promise<{ reports: ScenarioReport[]; ok: boolean }> {
  const defaultOut = join(repoRoot, 'bench', 'results');
  const opts = parseOptions(argv, defaultOut);
  const reports: ScenarioReport[] = [];
  const t0 = Date.now();
  generator(opts);
  try {
    await runAll(opts, (rep) => {
      const file = writeReport(opts.outDir, rep);
      log(`\n${textTable(rep)}\nwritten: ${file}`);
      reports.push(rep);
    });
  } finally {
    await workers?.close();
  }
  if (opts.docs && resolve(opts.outDir) === resolve(defaultOut)) {
    const doc = writeDocs(defaultOut, join(repoRoot, 'docs', 'benchmarks.md'));
    log(`updated ${doc}`);
  }
  log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { reports, ok: reports.every((r) => r.results.every((x) => !x.failed)) };
}

runBench(process.argv.slice(2)).then(
  ({ ok }) => process.exit(ok ? 0 : 1),
  (err: Error) => {
    console.error(err.message);
    process.exit(2);
  },
);
