/**
 * Smoke test of the benchmark: runs every scenario at tiny sizes against every server (MiniIM and
 * the baselines), into a temp dir, and checks the JSON results are written,
 * well-formed, and show no lost or duplicated message. It never asserts speed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'miniim-bench-smoke-'));
const scenarios = ['idle', 'direct', 'group', 'reconnect'];

function runCli(args: string[], timeout: number) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout,
  });
}

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench smoke', () => {
  it('rejects an unknown option with the usage text', () => {
    const r = runCli(['--bogus'], 20_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --bogus');
    expect(r.stderr).toContain('usage:');
  }, 30_000);

  it('runs every scenario against every server and writes valid results', () => {
    const r = runCli(['--smoke', '--out', out], 80_000);
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output.slice(-3000)).toBe(0);
    const files = readdirSync(out);
    expect(existsSync(join(out, 'charts', 'direct.svg'))).toBe(true);
    for (const s of scenarios) {
      expect(files).toContain(`latest-${s}.json`);
      expect(files.some((f) => f.startsWith(`${s}-`) && f.endsWith('.json'))).toBe(true);
      const rep = JSON.parse(readFileSync(join(out, `latest-${s}.json`), 'utf8'));
      expect(rep.scenario).toBe(s);
      expect(rep.mode).toBe('smoke');
      expect(rep.machine.cpus).toBeGreaterThan(0);
      expect(rep.machine.node).toBe(process.version);
      expect(rep.command).toContain('--smoke');
      expect(rep.lost, `${s}: lost messages`).toBe(0);
      expect(rep.duplicated, `${s}: duplicated messages`).toBe(0);
      const names = rep.results.map((x: { target: string }) => x.target);
      expect(names).toEqual(expect.arrayContaining(['raw', 'socketio', 'blog', 'miniim']));
      for (const res of rep.results) {
        expect(res.failed ?? false, `${s}/${res.target}: ${res.skipped}`).toBe(false);
        // Every server runs every scenario: nothing is skipped.
        expect(res.skipped, `${s}/${res.target}`).toBeUndefined();
        expect(res.lost).toBe(0);
        expect(res.duplicated).toBe(0);
        expect(res.rows.length).toBeGreaterThan(0);
        for (const row of res.rows) {
          for (const c of rep.columns) {
            const v = row.metrics[c.key];
            expect(v === null || Number.isFinite(v), `${s}/${res.target}/${row.key}/${c.key}=${v}`).toBe(true);
          }
        }
      }
      expect(Array.isArray(rep.ratios)).toBe(true);
      expect(Array.isArray(rep.goals)).toBe(true);
    }
    const direct = JSON.parse(readFileSync(join(out, 'latest-direct.json'), 'utf8'));
    const raw = direct.results.find((x: { target: string }) => x.target === 'raw');
    expect(raw.rows.map((x: { key: string }) => x.key)).toEqual(['closed', 'open 50%']);
    expect(raw.rows[0].metrics.msgsPerSec).toBeGreaterThan(0);
    const reconnect = JSON.parse(readFileSync(join(out, 'latest-reconnect.json'), 'utf8'));
    for (const res of reconnect.results) if (!res.skipped) expect(res.rows[0].metrics.unsynced).toBe(0);
  }, 90_000);
});
