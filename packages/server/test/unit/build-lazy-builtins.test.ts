/**
 * The production bundle's `require` (packages/server/scripts/build.mjs, BANNER): built-ins in
 * LAZY_BUILTINS are not loaded when a bundled dependency requires them, only on first use, and then
 * behave as the module itself. Runs the banner in a fresh node (a test runner has most built-ins loaded).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BUILD = pathToFileURL(path.resolve(import.meta.dirname, '../../scripts/build.mjs')).href;
const dir = mkdtempSync(path.join(tmpdir(), 'miniim-banner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` after the banner in a new node process; returns what it printed as JSON. */
function runWithBanner(body: string): Record<string, unknown> {
  const banner = execFileSync(process.execPath, ['--input-type=module', '-e', `import { BANNER } from '${BUILD}'; process.stdout.write(BANNER);`], {
    encoding: 'utf8',
  });
  const file = path.join(dir, `case-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, `${banner}\nconst loaded = (m) => process.moduleLoadList.includes('NativeModule ' + m);\n${body}`);
  return JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' }));
}

describe('production bundle require of lazy built-ins', () => {
  it('lists http2, https, tls and assert', () => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import { LAZY_BUILTINS } from '${BUILD}'; console.log(JSON.stringify(LAZY_BUILTINS));`],
      {
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(out)).toEqual(['http2', 'https', 'tls', 'assert']);
  });

  it('loads a lazy built-in on first use only, then it is the module itself', () => {
    const r = runWithBanner(`
      const http2 = require('node:http2');
      const tls = require('tls');
      const before = { http2: loaded('http2'), tls: loaded('tls') };
      const constant = http2.constants.HTTP2_HEADER_STATUS;
      const afterHttp2 = { http2: loaded('http2'), tls: loaded('tls') };
      const real = require('node:module').createRequire(import.meta.url)('node:tls');
      const secureContext = tls.createSecureContext();
      console.log(JSON.stringify({
        before, afterHttp2, constant, tlsLoaded: loaded('tls'),
        sameFunction: tls.connect === real.connect,
        isContext: secureContext instanceof real.SecureContext || typeof secureContext.context === 'object',
        hasKey: 'TLSSocket' in tls,
        constructs: new tls.TLSSocket(null) instanceof real.TLSSocket,
        eager: loaded('events') && typeof require('node:events') === 'function',
      }));
    `);
    expect(r).toEqual({
      before: { http2: false, tls: false },
      afterHttp2: { http2: true, tls: true }, // http2 itself loads tls
      constant: ':status',
      tlsLoaded: true,
      sameFunction: true,
      isContext: true,
      hasKey: true,
      constructs: true,
      eager: true,
    });
  });

  it('runs an assert(value) that holds without loading node:assert, and the real one when it fails', () => {
    const r = runWithBanner(`
      const assert = require('node:assert');
      assert(true, 'holds');
      assert(1);
      const afterHolding = loaded('assert');
      let error;
      try { assert(0, 'boom'); } catch (e) { error = e; }
      const real = require('node:module').createRequire(import.meta.url)('node:assert');
      let none;
      try { assert(); } catch (e) { none = e.code; }
      console.log(JSON.stringify({ afterHolding, loaded: loaded('assert'), message: error.message, isAssertion: error instanceof real.AssertionError, none, strict: assert.strict === real.strict }));
    `);
    expect(r).toEqual({ afterHolding: false, loaded: true, message: 'boom', isAssertion: true, none: 'ERR_ASSERTION', strict: true });
  });

  it('leaves a built-in outside the list as the plain module', () => {
    const r = runWithBanner(`
      const os = require('node:os');
      console.log(JSON.stringify({ same: os === require('node:module').createRequire(import.meta.url)('node:os') }));
    `);
    expect(r).toEqual({ same: true });
  });
});
