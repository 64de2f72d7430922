/**
 * The project opens in DevTools as is: every page and component has its four files, app.json
 * lists existing pages, dark mode is wired; `scripts/prepare.mjs` lays out miniprogram_npm from
 * a real SDK build and the laid-out module loads as CommonJS.
 */
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM build scripts
import { buildSdk } from '../../../packages/sdk/scripts/build.mjs';
// @ts-expect-error plain ESM build scripts
import { prepare } from '../scripts/prepare.mjs';
import { appRoot } from './support/simulate-browser.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('project layout', () => {
  it('app.json pages and every component have .json/.wxml/.wxss/.ts; dark mode via theme.json', async () => {
    const app = JSON.parse(await readFile(path.join(appRoot, 'app.json'), 'utf8'));
    expect(app.darkmode).toBe(true);
    expect(app.themeLocation).toBe('theme.json');
    const theme = JSON.parse(await readFile(path.join(appRoot, 'theme.json'), 'utf8'));
    expect(Object.keys(theme)).toEqual(['light', 'dark']);
    const project = JSON.parse(await readFile(path.join(appRoot, 'project.config.json'), 'utf8'));
    expect(project.setting.useCompilerPlugins).toEqual(['typescript']);
    const units = [...app.pages, ...['avatar', 'time-separator', 'message-bubble', 'conversation-item', 'input-bar'].map((c) => `components/${c}/${c}`)];
    for (const unit of units) {
      for (const ext of ['json', 'wxml', 'wxss', 'ts']) expect(await exists(path.join(appRoot, `${unit}.${ext}`)), `${unit}.${ext}`).toBe(true);
      const json = JSON.parse(await readFile(path.join(appRoot, `${unit}.json`), 'utf8'));
      for (const used of Object.values<string>(json.usingComponents ?? {})) {
        const p = used.startsWith('/') ? path.join(appRoot, used) : path.resolve(path.dirname(path.join(appRoot, unit)), used);
        expect(await exists(`${p}.wxml`), `${unit} uses ${used}`).toBe(true);
      }
    }
    for (const c of ['message-bubble', 'conversation-item', 'input-bar', 'time-separator']) {
      expect(await readFile(path.join(appRoot, `components/${c}/${c}.wxss`), 'utf8')).toContain('prefers-color-scheme: dark');
    }
  });

  it('prepare.mjs lays out miniprogram_npm/@miniim/sdk from the SDK build', async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'miniim-mp-prepare-'));
    dirs.push(tmp);
    const files = await buildSdk(path.join(tmp, 'dist'), { types: false });
    await expect(prepare({ dist: path.join(tmp, 'nope'), out: tmp, syncAppId: false })).rejects.toThrow(/build the SDK first/);
    await prepare({ dist: path.dirname(files.wx), out: tmp, syncAppId: false });
    const root = path.join(tmp, 'miniprogram_npm/@miniim/sdk');
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: '@miniim/sdk', main: 'index.js' });
    const require = createRequire(import.meta.url);
    const sdk = require(path.join(root, 'wx/index.js'));
    expect(typeof sdk.createWxClient).toBe('function');
    expect(typeof sdk.wechatLogin).toBe('function');
    expect(sdk.timeSeparators([{ ts: 0 }, { ts: 1_000 }, { ts: 120_000 }])).toEqual([0, 2]);
  });
});
