#!/usr/bin/env node
/**
 * Lays out `miniprogram_npm/@miniim/sdk/` from the SDK's mini-program build, so WeChat DevTools
 * needs no "构建 npm" step, and copies `appId` from config.ts into project.config.json.
 *
 * Run through the root script, which builds the SDK first:
 *   npm run miniprogram:prepare   (= npm run build -w @miniim/sdk && node examples/miniprogram/scripts/prepare.mjs)
 * Options: --dist <dir> (default packages/sdk/dist/miniprogram), --out <dir> (default examples/miniprogram).
 *
 * Result:
 *   miniprogram_npm/@miniim/sdk/index.js      the ES2017 CommonJS bundle (`require('@miniim/sdk')`)
 *   miniprogram_npm/@miniim/sdk/wx/index.js   `require('@miniim/sdk/wx')`, what the sources import
 *   miniprogram_npm/@miniim/sdk/package.json  name, version, main
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(appRoot, '../..');

/** Copies the SDK build into `<out>/miniprogram_npm/@miniim/sdk`; returns the files written. */
export async function prepare({ dist = path.join(repoRoot, 'packages/sdk/dist/miniprogram'), out = appRoot, syncAppId = true } = {}) {
  const entry = path.join(dist, 'index.js');
  try {
    await stat(entry);
  } catch {
    throw new Error(`miniprogram:prepare: ${entry} is missing; build the SDK first (npm run build -w @miniim/sdk)`);
  }
  const target = path.join(out, 'miniprogram_npm/@miniim/sdk');
  await rm(target, { recursive: true, force: true });
  await mkdir(path.join(target, 'wx'), { recursive: true });
  const written = [];
  for (const name of await readdir(dist)) {
    if (!name.endsWith('.js') && !name.endsWith('.js.map')) continue;
    await copyFile(path.join(dist, name), path.join(target, name));
    written.push(path.join(target, name));
  }
  const wxEntry = path.join(target, 'wx/index.js');
  await writeFile(wxEntry, "module.exports = require('../index.js');\n");
  written.push(wxEntry);
  const sdkPkg = JSON.parse(await readFile(path.join(repoRoot, 'packages/sdk/package.json'), 'utf8'));
  const pkgFile = path.join(target, 'package.json');
  await writeFile(pkgFile, `${JSON.stringify({ name: sdkPkg.name, version: sdkPkg.version, main: 'index.js' }, null, 2)}\n`);
  written.push(pkgFile);
  if (syncAppId) await syncProjectAppId(out);
  return written;
}

/** Copies `appId: '...'` from config.ts into project.config.json's `appid` (when they differ). */
export async function syncProjectAppId(out = appRoot) {
  const source = await readFile(path.join(out, 'config.ts'), 'utf8');
  const m = /appId:\s*'([^']*)'/.exec(source);
  if (!m) return false;
  const file = path.join(out, 'project.config.json');
  const project = JSON.parse(await readFile(file, 'utf8'));
  if (project.appid === m[1]) return false;
  project.appid = m[1];
  await writeFile(file, `${JSON.stringify(project, null, 2)}\n`);
  return true;
}

function arg(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = {};
  if (arg('--dist')) opts.dist = path.resolve(arg('--dist'));
  if (arg('--out')) opts.out = path.resolve(arg('--out'));
  prepare(opts).then(
    (files) => console.log(`miniprogram_npm ready: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
