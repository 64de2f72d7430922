#!/usr/bin/env node
/**
 * Every *.test.ts under packages/<name>/test, examples/<name>/test, bench/test and deploy/test must belong to
 * exactly one vitest project (vitest.config.ts). Asks vitest itself which files each project
 * collects (no test runs), walks the folders, and exits 1 naming each file in none or several.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { createVitest } from 'vitest/node';

const root = path.resolve(import.meta.dirname, '..');

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

const files = [];
for (const parent of ['packages', 'examples']) {
  for (const e of readdirSync(path.join(root, parent), { withFileTypes: true })) {
    if (e.isDirectory()) walk(path.join(root, parent, e.name, 'test'), files);
  }
}
for (const dir of ['bench', 'deploy']) walk(path.join(root, dir, 'test'), files);

const vitest = await createVitest('test', { root, watch: false, run: true, reporters: [] });
const projectsOf = new Map(files.map((f) => [f, []]));
try {
  for (const spec of await vitest.globTestSpecifications()) {
    const rel = path.relative(root, spec.moduleId);
    if (!projectsOf.has(rel)) projectsOf.set(rel, []);
    projectsOf.get(rel).push(spec.project.name);
  }
} finally {
  await vitest.close();
}

const bad = [...projectsOf].filter(([, names]) => names.length !== 1);
for (const [file, names] of bad) {
  console.error(`${file}: in ${names.length === 0 ? 'no vitest project' : `projects ${names.join(', ')}`} (see vitest.config.ts)`);
}
if (bad.length > 0) process.exit(1);
console.log(`test projects: ${files.length} test files, each in exactly one project`);
