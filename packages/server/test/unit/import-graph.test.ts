/**
 * The import graph of packages/server/src keeps its seams (docs/architecture.md):
 * shared layers (config/, storage/, core/) import no feature folder; wechat/ and
 * moderation/ meet only in moderation/moderation-types.ts; http/ imports no wiring
 * file and no feature. The rules run on the real graph and on made-up edges that
 * break each of them, so the check itself is known to catch what it is for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Feature folders: each owns its config schema, wiring, routes and logic. */
const FEATURES = ['wechat', 'moderation', 'media', 'admin'];
/** Shared layers that must not depend on any feature. */
const SHARED = ['config', 'storage', 'core'];
/** The one file through which wechat/ and moderation/ may reach each other. */
const WECHAT_MODERATION_INTERFACE = 'moderation/moderation-types.ts';
/** Files that put the server together (wiring); nothing in http/ may import them. */
const WIRING = ['app.ts', 'main.ts', 'index.ts', 'server-config.ts'];

type Edge = { from: string; to: string };

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Relative import specifiers of a file: static imports/exports (types too), side-effect and dynamic imports. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out.filter((s) => s.startsWith('.'));
}

/** Every edge between files of src/, as paths relative to src/ with `.ts` endings. */
function importGraph(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = path.relative(SRC, file).split(path.sep).join('/');
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
      edges.push({ from, to: path.relative(SRC, target).split(path.sep).join('/') });
    }
  }
  return edges;
}

const folderOf = (p: string) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '');

/** One line per edge that breaks a rule. */
function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (SHARED.includes(a) && FEATURES.includes(b)) out.push(`${from} -> ${to}: ${a}/ is shared and imports no feature`);
    const pair = new Set([a, b]);
    if (a !== b && pair.has('wechat') && pair.has('moderation') && to !== WECHAT_MODERATION_INTERFACE) {
      out.push(`${from} -> ${to}: wechat/ and moderation/ meet only in ${WECHAT_MODERATION_INTERFACE}`);
    }
    if (a === 'http' && (WIRING.includes(to) || FEATURES.includes(b))) out.push(`${from} -> ${to}: http/ imports no wiring file and no feature`);
  }
  return out;
}

describe('import graph of packages/server/src', () => {
  it('is read from the real sources (relative imports, type imports, re-exports)', () => {
    const edges = importGraph();
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'app.ts', to: 'server-config.ts' });
    expect(edges).toContainEqual({ from: 'wechat/media-check.ts', to: WECHAT_MODERATION_INTERFACE });
    // Every edge points at a file that exists (a renamed file cannot hide an edge).
    const files = new Set(sourceFiles(SRC).map((f) => path.relative(SRC, f).split(path.sep).join('/')));
    expect(edges.filter((e) => !files.has(e.to))).toEqual([]);
  });

  it('keeps every seam straight', () => {
    expect(violations(importGraph())).toEqual([]);
  });

  it('reports each kind of crooked edge', () => {
    const bad: Edge[] = [
      { from: 'config/config.ts', to: 'wechat/secret-box.ts' },
      { from: 'storage/storage.ts', to: 'moderation/moderation-types.ts' },
      { from: 'core/message-service.ts', to: 'media/index.ts' },
      { from: 'moderation/content-moderator.ts', to: 'wechat/wechat-api.ts' },
      { from: 'wechat/media-check.ts', to: 'moderation/moderation-metrics.ts' },
      { from: 'http/auth-routes.ts', to: 'app.ts' },
      { from: 'http/context.ts', to: 'wechat/wechat-integration.ts' },
    ];
    expect(violations(bad)).toHaveLength(bad.length);
    expect(violations([{ from: 'wechat/wechat-routes.ts', to: WECHAT_MODERATION_INTERFACE }])).toEqual([]);
  });
});
