/**
 * Headless Chromium for the web page's tests: Debian's /usr/bin/chromium through
 * playwright-core (nothing downloaded), one persistent profile per simulated user.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
// @ts-expect-error plain ESM build script
import { buildWeb } from '../build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Screenshots for people to look at (gitignored). */
export const outputDir = path.resolve(here, '../../../test-output/web');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Browsers opened by one test file; `closeBrowsers()` in afterAll. */
export class Browsers {
  private readonly contexts: BrowserContext[] = [];
  private readonly dirs: string[] = [];

  /** Builds the page into a temp folder of this file's own (test files run in parallel); serve it with `webDir`. */
  async build(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'miniim-web-'));
    this.dirs.push(dir);
    await mkdir(outputDir, { recursive: true });
    return buildWeb(dir);
  }

  /** A new browser profile (its own localStorage) with one page. */
  async open(viewport = { width: 1000, height: 700 }): Promise<{ ctx: BrowserContext; page: Page }> {
    const dir = await mkdtemp(path.join(tmpdir(), 'miniim-chromium-'));
    this.dirs.push(dir);
    const ctx = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport,
      locale: 'zh-CN',
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    this.contexts.push(ctx);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    return { ctx, page };
  }

  async close(): Promise<void> {
    for (const c of this.contexts.splice(0)) await c.close().catch(() => {});
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

/** Dev-logs in through the login form and waits for the connection. */
export async function login(page: Page, baseUrl: string, userId: string, nickname: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.fill('#login-user', userId);
  await page.fill('#login-name', nickname);
  await page.click('#login-btn');
  await page.waitForSelector('body[data-state="connected"]');
}

export async function sendText(page: Page, text: string): Promise<void> {
  await page.fill('#composer-input', text);
  await page.press('#composer-input', 'Enter');
}

/** Opens a direct chat through the 发起聊天 form. */
export async function startChat(page: Page, peer: string): Promise<void> {
  await page.fill('#new-chat-user', peer);
  await page.press('#new-chat-user', 'Enter');
  await page.waitForSelector('#composer:not([hidden])');
}

/** Texts of the chat view's bubbles, in display order. */
export function bubbles(page: Page): Promise<string[]> {
  return page.$$eval('#messages .msg:not(.uploading) .bubble', (els) => els.map((e) => e.textContent ?? ''));
}

/** Waits until at least as many sent bubbles as expected are shown, then compares them. */
export async function waitBubbles(page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll('#messages .msg[data-status="sent"]').length >= n, expected.length, { timeout: 15_000 });
  expect(await bubbles(page)).toEqual(expected);
}

/** Screenshots of a page in light and dark mode. */
export async function shoot(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: path.join(outputDir, `${name}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
