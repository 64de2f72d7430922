#!/usr/bin/env node
/**
 * Production build of the server with esbuild: packages/server/dist/
 *   miniim.js   the `miniim` bin and `npm run start:prod` entry (NODE_ENV defaults to production)
 *   main.js     the CLI itself, plus chunks for what is loaded lazily (S3 client, WeChat modules)
 * Workspace packages (@miniim/protocol) and the pure-JS dependencies are bundled in: one parsed file
 * instead of hundreds of module records saves about 10 MB of RSS per node; minified ASCII output
 * another 6 MB (docs/benchmarks.md, "Idle memory of a production node"). Run time needs only what
 * cannot be bundled (NATIVE below, installed with `npm ci --omit=dev`), never tsx or TypeScript sources.
 * Usage: node packages/server/scripts/build.mjs [outDir]   (default outDir: packages/server/dist)
 */
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Native addons: loaded from node_modules at run time (the only run-time install). */
const NATIVE = ['better-sqlite3'];
/** Optional peers some dependencies try to require and live without (ws, pg, the AWS SDK). */
const OPTIONAL = ['bufferutil', 'utf-8-validate', 'pg-native', 'aws-crt', '@aws-sdk/signature-v4-crt'];

/**
 * Built-ins that bundled dependencies require at load time but a node uses only with some settings:
 * Fastify requires node:http2 and node:https (used only with its http2/https options), ioredis and
 * prom-client require node:tls (TLS connections only). Each one loaded costs its compiled code and
 * the pages of node's binary it is read from: 2.8 MiB of idle RSS on Node 24, within noise on Node 20
 * (docs/benchmarks.md, "Production node memory"). require() of these returns a stand-in that loads
 * the module on first use (property read, call, `new`). node:assert as well: find-my-way and Fastify
 * call assert(value, message) while routes are registered, and one that holds is answered without
 * loading it (−0.9 MiB on Node 24); a failing one runs the real assert. Not listed: what a node loads
 * anyway (net's listen() loads cluster and child_process; zlib, perf_hooks, worker_threads are used at load).
 */
export const LAZY_BUILTINS = ['http2', 'https', 'tls', 'assert'];

/** Top of every output file: `require` for the bundled CommonJS code, lazy for LAZY_BUILTINS. */
export const BANNER = `import { createRequire as __miniimCreateRequire } from 'node:module';
const __miniimRequire = __miniimCreateRequire(import.meta.url);
const __miniimLazy = new Set(${JSON.stringify(LAZY_BUILTINS.flatMap((m) => [m, `node:${m}`]))});
function __miniimLazyModule(id) {
  let mod;
  const load = () => (mod ??= __miniimRequire(id));
  return new Proxy(function () {}, {
    get: (_, key) => load()[key],
    set: (_, key, value) => Reflect.set(load(), key, value),
    has: (_, key) => key in load(),
    // assert(value, message) that holds does nothing: node:assert is loaded only when one fails.
    apply: (_, self, args) => (id.endsWith('assert') && args[0] && !mod ? undefined : Reflect.apply(load(), self, args)),
    construct: (_, args) => Reflect.construct(load(), args),
  });
}
function require(id) {
  return __miniimLazy.has(id) ? __miniimLazyModule(id) : __miniimRequire(id);
}
require.resolve = __miniimRequire.resolve;
require.cache = __miniimRequire.cache;`;

/** The bin: NODE_ENV=production unless the caller chose otherwise, then the CLI. */
const BIN = `#!/usr/bin/env node
// The production entry of MiniIM (built by packages/server/scripts/build.mjs).
process.env.NODE_ENV ??= 'production';
await import('./main.js');
`;

/** Builds the server into `out`; returns the bin's path. */
export async function buildServer(out = path.join(root, 'dist')) {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: { main: path.join(root, 'src/main.ts') },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: [...NATIVE, ...OPTIONAL],
    // Bundled CommonJS dependencies call require() for Node built-ins (BANNER: some of them lazily).
    banner: { js: BANNER },
    sourcemap: true,
    legalComments: 'none',
    // Every byte of the bundle stays in the heap as its source string: minified, and ASCII only
    // (one non-ASCII character makes V8 hold the whole file as UTF-16, twice the bytes).
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    charset: 'ascii',
    logLevel: 'warning',
    chunkNames: 'chunk-[hash]',
  });
  // esbuild leaves regular-expression literals as written: keep non-ASCII out of them (\u escapes).
  for (const f of await readdir(out)) {
    if (!f.endsWith('.js')) continue;
    const at = (await readFile(path.join(out, f))).findIndex((byte) => byte > 0x7f);
    if (at >= 0) throw new Error(`${f}: non-ASCII output at ${at}; write the character as a \\u escape in the source`);
  }
  const bin = path.join(out, 'miniim.js');
  await writeFile(bin, BIN);
  await chmod(bin, 0o755);
  return bin;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  const bin = await buildServer(arg ? path.resolve(arg) : undefined);
  console.log(`built ${path.relative(process.cwd(), bin)}`);
}
