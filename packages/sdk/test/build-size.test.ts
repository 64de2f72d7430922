import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM build script without types
import { buildSdk } from '../scripts/build.mjs';

// 40 KB until the login and liveness handling (token keeper, close policy, liveness probes) added ~4 KB.
const WX_BUDGET_BYTES = 48 * 1024;

describe('SDK builds', () => {
  let out = '';
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('builds the wx bundle within 48 KB minified, CommonJS ES2017, with no runtime dependencies', async () => {
    out = await mkdtemp(path.join(tmpdir(), 'miniim-sdk-build-'));
    const files = await buildSdk(out, { types: true });
    const wxSize = (await stat(files.wx)).size;
    expect(wxSize).toBeLessThanOrEqual(WX_BUDGET_BYTES);
    const code = await readFile(files.wx, 'utf8');
    expect(code).not.toMatch(/\brequire\(/); // everything is inlined
    expect(code).not.toMatch(/\?\?|\?\.[a-zA-Z_$]/); // lowered to ES2017
    // Loads as CommonJS in a bare context (no Node globals) and exposes the API.
    const mod = { exports: {} as Record<string, unknown> };
    vm.runInNewContext(code, {
      module: mod,
      exports: mod.exports,
      console,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
    });
    expect(typeof mod.exports.createWxClient).toBe('function');
    expect(typeof mod.exports.timeSeparators).toBe('function');
    const web = await readFile(files.web, 'utf8');
    expect(web).toMatch(/export\s*\{/);
    for (const d of ['types/index.d.ts', 'types/web/index.d.ts', 'types/wx/index.d.ts']) {
      expect((await stat(path.join(out, d))).size).toBeGreaterThan(0);
    }
  }, 120_000);
});
