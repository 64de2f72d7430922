/**
 * Runs miniprogram-simulate in headless Chromium (Debian's /usr/bin/chromium via playwright-core).
 *
 * miniprogram-simulate needs a DOM (its own docs: jsdom + Node, or a real browser with karma).
 * jsdom is not installed here, so the tests use the second way: the package's browser build
 * (`miniprogram-simulate/build.js`) in a blank Chromium page, with the components' .json / .wxml /
 * .wxss and their TypeScript compiled to CommonJS by esbuild, handed over as `window.__FILE_MAP__`
 * (how its karma setup feeds files). Test bodies run in the page through `page.evaluate`.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The mini-program root (examples/miniprogram). */
export const appRoot = path.resolve(here, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Compiles one component's .ts to a self-contained CommonJS file (its imports bundled in). */
async function compileComponent(tsFile: string): Promise<string> {
  const out = await build({
    entryPoints: [tsFile],
    bundle: true,
    write: false,
    format: 'cjs',
    target: 'es2017',
    platform: 'neutral',
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

/**
 * The file map of every component under components/: `/components/x/x.{json,wxml,wxss,js}`;
 * `wxml` transforms each template (page-render.ts adds stand-ins for native components).
 */
export async function componentFileMap(wxml: (t: string) => string = (t) => t): Promise<Record<string, string>> {
  const map: Record<string, string> = {};
  const dir = path.join(appRoot, 'components');
  for (const name of await readdir(dir)) {
    if (!(await readdir(path.join(dir, name))).includes(`${name}.ts`)) continue;
    const base = path.join(dir, name, name);
    const key = `/components/${name}/${name}`;
    for (const ext of ['json', 'wxml', 'wxss']) map[`${key}.${ext}`] = await readFile(`${base}.${ext}`, 'utf8');
    map[`${key}.wxml`] = wxml(map[`${key}.wxml`]);
    map[`${key}.js`] = await compileComponent(`${base}.ts`);
  }
  return map;
}

/**
 * In-page helpers: `__mount(name, props)` loads and attaches `/components/<name>/<name>` and
 * records every event it triggers in `__events` (`{name, detail}`), `__text(comp, sel)` reads
 * a selector's text, `__has(comp, sel)` tells whether it exists, `__attr(comp, sel, name)` reads a rendered
 * attribute (from the simulate tree: built-in components keep properties like `src` there).
 */
const HELPERS = `
window.__events = [];
window.__mount = function (name, props, events) {
  var sim = window.simulate;
  var id = sim.load('/components/' + name + '/' + name, name, { compiler: 'simulate' });
  var comp = sim.render(id, props || {});
  var parent = document.createElement('div');
  document.body.appendChild(parent);
  comp.attach(parent);
  (events || []).forEach(function (ev) {
    comp.addEventListener(ev, function (e) { window.__events.push({ name: ev, detail: e.detail }); });
  });
  return comp;
};
window.__text = function (comp, sel) {
  var el = comp.querySelector(sel);
  return el ? el.dom.textContent.trim() : null;
};
window.__attr = function (comp, sel, name) {
  var el = comp.querySelector(sel);
  if (!el) return null;
  var attr = (el.toJSON().attrs || []).filter(function (a) { return a.name === name; })[0];
  return attr ? String(attr.value) : null;
};
window.__has = function (comp, sel) {
  return !!comp.querySelector(sel);
};
`;

export interface SimulatePage {
  page: Page;
  close(): Promise<void>;
}

export interface SimulateOptions {
  /** Extra file-map entries (pages made components, see page-render.ts). */
  files?: Record<string, string>;
  /** Template transform for the components. */
  wxml?: (t: string) => string;
  /** A stylesheet added to the page. */
  css?: string;
  viewport?: { width: number; height: number };
}

/** Opens a blank page with miniprogram-simulate (`window.simulate`) and every component loaded. */
export async function openSimulate(opts: SimulateOptions = {}): Promise<SimulatePage> {
  const require = createRequire(import.meta.url);
  const bundle = await readFile(require.resolve('miniprogram-simulate/build.js'), 'utf8');
  const files = { ...(await componentFileMap(opts.wxml)), ...opts.files };
  const dir = await mkdtemp(path.join(tmpdir(), 'miniim-mp-chromium-'));
  let ctx: BrowserContext | undefined;
  try {
    ctx = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      ...(opts.viewport ? { viewport: opts.viewport } : {}),
    });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>${opts.css ?? ''}</style></head><body></body></html>`);
    await page.evaluate((map) => {
      (window as unknown as { __FILE_MAP__: Record<string, string> }).__FILE_MAP__ = map;
    }, files);
    await page.addScriptTag({ content: bundle });
    await page.addScriptTag({ content: HELPERS });
    if (errors.length) throw new Error(`simulate failed to load: ${errors.join('; ')}`);
    const opened = ctx;
    return {
      page,
      async close() {
        await opened.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await ctx?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
