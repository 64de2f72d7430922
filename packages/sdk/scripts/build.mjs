#!/usr/bin/env node
/**
 * Builds @miniim/sdk with esbuild:
 *   <out>/miniprogram/index.js  ES2017 CommonJS, minified: the mini-program "build npm" entry (`@miniim/sdk/wx`)
 *   <out>/web/index.js          ES2020 ESM: browsers (`@miniim/sdk/web`)
 *   <out>/index.js              ES2020 ESM: the platform-free core
 *   <out>/types/**.d.ts         declarations (tsc, emitDeclarationOnly)
 * Usage: node packages/sdk/scripts/build.mjs [outDir] [--no-types]   (default outDir: packages/sdk/dist)
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'dist'));
const withTypes = !args.includes('--no-types');

/** Builds every bundle; returns the output paths keyed by target. */
export async function buildSdk(out = outDir, opts = { types: withTypes }) {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const common = {
    bundle: true,
    platform: 'neutral',
    legalComments: 'none',
    logLevel: 'warning',
    mainFields: ['module', 'main'],
  };
  const files = {
    wx: path.join(out, 'miniprogram/index.js'),
    web: path.join(out, 'web/index.js'),
    core: path.join(out, 'index.js'),
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [path.join(root, 'src/wx/index.ts')],
      outfile: files.wx,
      format: 'cjs',
      target: 'es2017',
      minify: true,
    }),
    build({
      ...common,
      entryPoints: [path.join(root, 'src/web/index.ts')],
      outfile: files.web,
      format: 'esm',
      target: 'es2020',
      sourcemap: true,
    }),
    build({
      ...common,
      entryPoints: [path.join(root, 'src/index.ts')],
      outfile: files.core,
      format: 'esm',
      target: 'es2020',
      sourcemap: true,
    }),
  ]);
  if (opts.types) await emitTypes(path.join(out, 'types'));
  return files;
}

async function emitTypes(typesDir) {
  const ts = (await import('typescript')).default;
  const program = ts.createProgram([path.join(root, 'src/index.ts'), path.join(root, 'src/web/index.ts'), path.join(root, 'src/wx/index.ts')], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: path.join(root, 'src'),
    outDir: typesDir,
    types: ['node'],
  });
  const result = program.emit();
  const errors = ts
    .getPreEmitDiagnostics(program)
    .concat(result.diagnostics)
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    throw new Error(
      ts.formatDiagnostics(errors, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => root,
        getNewLine: () => '\n',
      }),
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildSdk();
  console.log(`built ${Object.values(files).join(', ')}${withTypes ? ' + types' : ''}`);
}
