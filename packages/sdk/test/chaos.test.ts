/**
 * Chaos (issue 19.12): seeded, about a minute. Replay a run with MINIIM_CHAOS_SEED=<seed>.
 * Asserts exactly-once, in-order delivery into every store, no logout, no refresh, and the
 * detection bound: a black-holed connection is noticed within 10 s.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChaos } from './support/chaos/chaos-run.js';

const SEED = Number(process.env.MINIIM_CHAOS_SEED ?? 20261201);
const DETECT_BOUND_MS = 10_000;

describe('SDK chaos: proxies that cut and black-hole, offline periods, SIGTERM and SIGKILL restarts', () => {
  it(`loses, doubles and reorders nothing, logs nobody out, notices dead sockets within 10 s (seed ${SEED})`, { timeout: 150_000 }, async () => {
    const r = await runChaos({ seed: SEED, chaosMs: 36_000, webClients: 4, wxClients: 2, sendEveryMs: 400 });
    const out = path.resolve(import.meta.dirname, '../../../test-output');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'sdk-chaos.json'), `${JSON.stringify(r, null, 2)}\n`);
    console.log(`[chaos] ${JSON.stringify(r)}`);
    expect(r.failedSends).toEqual([]);
    expect(r.mismatches).toEqual([]);
    expect(r.reordered).toEqual([]);
    expect(r.sessionEnded).toEqual([]);
    expect(r.refreshes).toBe(0);
    expect(r.undetected).toEqual([]);
    expect(r.blackHoleDetectMs.length).toBeGreaterThan(0);
    expect(Math.max(...r.blackHoleDetectMs, ...r.offlineDetectMs)).toBeLessThanOrEqual(DETECT_BOUND_MS);
    expect(r.restartReconnectMs.map((x) => x.signal)).toEqual(['SIGTERM', 'SIGKILL']);
    expect(r.sends).toBeGreaterThan(200);
  });
});
