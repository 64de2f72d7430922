/**
 * `--rounds N`: the medians of per-round ratio goals (pure), and a tiny 2-round run of the CLI
 * (smoke sizes, fresh servers each round, order reversed in the second) with its JSON and text.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Goal, medianGoals } from '../lib/scenario.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'miniim-bench-rounds-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const ratioGoal = (goal: string, ratio: number | null, bound: Goal['bound']): Goal => ({
  goal,
  value: ratio == null ? 'n/a' : `${ratio}×`,
  met: null,
  ratio,
  bound,
});

describe('bench --rounds', () => {
  it('takes the median of the rounds’ ratios and judges the bound on it', () => {
    const goals = medianGoals([
      [ratioGoal('cpu', 1.88, { max: 1.3 }), ratioGoal('rate', 4.85, { min: 5 }), { goal: 'plain', value: 'yes', met: true }],
      [ratioGoal('cpu', 2.12, { max: 1.3 }), ratioGoal('rate', 5.2, { min: 5 }), { goal: 'plain', value: 'no', met: false }],
      [ratioGoal('cpu', 1.28, { max: 1.3 }), ratioGoal('rate', 5.1, { min: 5 }), { goal: 'plain', value: 'yes', met: true }],
    ]);
    expect(goals.map((g) => [g.goal, g.ratio, g.met])).toEqual([
      ['cpu', 1.88, false],
      ['rate', 5.1, true],
      ['plain', undefined, false],
    ]);
    expect(goals[0]!.value).toBe('1.88× median of 3 rounds (1.88×, 2.12×, 1.28×)');
    // An even count: the mean of the middle two; rounds without the figure are left out.
    const even = medianGoals([[ratioGoal('cpu', 1, { max: 1.3 })], [ratioGoal('cpu', 2, { max: 1.3 })], [ratioGoal('cpu', null, { max: 1.3 })]]);
    expect(even[0]!.ratio).toBe(1.5);
    expect(even[0]!.met).toBe(false);
    expect(medianGoals([[ratioGoal('cpu', null, { max: 1 })], [ratioGoal('cpu', null, { max: 1 })]])[0]!.met).toBeNull();
  });

  it('rejects a bad --rounds', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--rounds', '0'], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bad --rounds');
  }, 30_000);

  it('runs the targets once per round, reversing the order every other round, and keeps every round', () => {
    const args = ['--smoke', '--rounds', '2', '--scenarios', 'direct', '--targets', 'miniim,raw', '--out', out];
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 80_000 });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output.slice(-3000)).toBe(0);
    expect(output).toContain('-- round 1/2: miniim, raw');
    expect(output).toContain('-- round 2/2: raw, miniim');
    const rep = JSON.parse(readFileSync(join(out, 'latest-direct.json'), 'utf8'));
    expect(rep.params.rounds).toBe(2);
    expect(rep.rounds.map((x: { order: string[] }) => x.order)).toEqual([
      ['miniim', 'raw'],
      ['raw', 'miniim'],
    ]);
    expect(rep.results.map((x: { target: string; round: number }) => `${x.target}/${x.round}`)).toEqual(['miniim/1', 'raw/1', 'miniim/2', 'raw/2']);
    expect(rep.results[2].label).toMatch(/ · round 2$/);
    expect(rep.lost).toBe(0);
    expect(rep.duplicated).toBe(0);
    expect(rep.goals.length).toBe(rep.rounds[0].goals.length);
    expect(output).toContain("median of 2 rounds' ratios");
  }, 90_000);
});
