#!/usr/bin/env node
/**
 * Builds the web chat page into examples/web/dist/: bundles src/main.ts (with the SDK's
 * web entry) to app.js and the admin console src/admin/main.ts to admin/admin.js, and
 * copies public/ (index.html, style.css, admin/index.html, admin/admin.css).
 * Usage: node examples/web/build.mjs [--watch]
 */
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, context } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');

/** Builds the page; returns the dist directory. */
export async function buildWeb(outDir = dist) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await cp(path.join(here, 'public'), outDir, { recursive: true });
  const options = {
    entryPoints: { app: path.join(here, 'src/main.ts'), 'admin/admin': path.join(here, 'src/admin/main.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
  if (process.argv.includes('--watch')) {
    const ctx = await context(options);
    await ctx.watch();
    console.log('watching examples/web/src …');
  } else {
    await build(options);
  }
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildWeb();
  console.log(`built ${path.relative(process.cwd(), out)}`);
}
