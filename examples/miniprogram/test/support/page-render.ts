/**
 * Renders the mini-program's pages with miniprogram-simulate in headless Chromium, for
 * screenshots a person can look at.
 *
 * miniprogram-simulate renders components, not pages, and its built-in tags (`image`, `input`,
 * `button`, …) are bare custom elements with no look of their own. So a page is loaded as a
 * component built from the page's own .json / .wxml / .wxss (with app.wxss, and `page` styles on
 * a root view), its data taken from the page logic run against a real server; the templates get
 * small stand-ins for what WeChat's native components draw (an `<image>` paints its `src`, an
 * `<input>` shows its value or placeholder) and a base stylesheet for the built-in tags (class
 * selectors there match the simulator's `tag--class` prefixes). The chat is shown at full height
 * rather than one screen of its scroll-view. rpx
 * become px 1:1 (the simulator's rule), so a 750-px-wide viewport is a 375-pt phone at 2×.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { appRoot } from './simulate-browser.js';

/** Stand-ins for native components, applied to every template. */
export function nativeStandIns(wxml: string): string {
  return wxml
    .replace(/<image\b([^>]*?)\bsrc="([^"]*)"([^>]*?)\/>/g, (_m, a: string, src: string, b: string) => {
      const fit = /mode="aspectFit"/.test(a + b) ? 'contain' : 'cover';
      return `<image${a}src="${src}"${b}><view class="sim-img" style="background-image: url('${src}'); background-size: ${fit};"></view></image>`;
    })
    .replace(/<input\b([^>]*?)\/>/g, (m, attrs: string) => {
      const value = /\bvalue="\{\{([^}]*)\}\}"/.exec(attrs)?.[1];
      const ph = /\bplaceholder="([^"{]*)"/.exec(attrs)?.[1] ?? '';
      const shown = value ? `{{(${value}) ? (${value}) : '${ph}'}}` : ph;
      const cls = value ? `sim-input-text {{(${value}) ? '' : 'sim-ph'}}` : 'sim-input-text sim-ph';
      return `${m.slice(0, -2)}><text class="${cls}">${shown}</text></input>`;
    });
}

/** What WeChat's built-in tags look like, roughly (the simulator leaves them unstyled). */
export const BASE_CSS = `
html, body { margin: 0; padding: 0; }
body { font-size: 32px; line-height: 1.4; font-family: "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", sans-serif; background: #ededed; color: #111; }
wx-view, wx-scroll-view, wx-input, wx-button, wx-form { display: block; box-sizing: border-box; }
wx-text { display: inline; }
wx-image { display: inline-block; position: relative; overflow: hidden; width: 640px; height: 480px; }
[class*='sim-img'] { position: absolute; left: 0; top: 0; right: 0; bottom: 0; background-position: center; background-repeat: no-repeat; }
wx-scroll-view { overflow: hidden; }
wx-input { min-height: 1.4em; overflow: hidden; white-space: nowrap; }
[class*='sim-ph'] { color: #b2b2b2; }
wx-button { position: relative; margin: 0 auto; padding: 0 28px; border-radius: 10px; font-size: 36px; line-height: 2.55; text-align: center; background: #f2f2f2; color: #000; font-weight: 600; }
/* Screenshots show the whole conversation, not only the first screen of the scroll-view. */
[class*='--chat'][class$='--chat'] { height: auto !important; }
[class*='chat-list'] { overflow: visible; }
wx-switch { display: inline-block; width: 104px; height: 64px; border-radius: 32px; background: #e5e5e5; }
@media (prefers-color-scheme: dark) {
  body { background: #111; color: #e6e6e6; }
  wx-button { background: #2c2c2c; color: #e6e6e6; }
  [class*='sim-ph'] { color: #555; }
}
`;

/** Handler names a template binds (`bindtap="onX"`, `bind:send="onSend"`, `catchtap="…"`). */
function handlers(wxml: string): string[] {
  const names = new Set<string>();
  for (const m of wxml.matchAll(/\b(?:bind|catch):?[a-z]+="([A-Za-z_]\w*)"/g)) names.add(m[1]);
  return [...names];
}

/**
 * File-map entries that make page `pages/x/x` a component `/pages/x/x` whose data is its `d`
 * property (set by the test to the data the page logic produced).
 */
export async function pageFiles(page: string): Promise<Record<string, string>> {
  const base = path.join(appRoot, page);
  const json = JSON.parse(await readFile(`${base}.json`, 'utf8')) as { usingComponents?: Record<string, string> };
  const appJson = JSON.parse(await readFile(path.join(appRoot, 'app.json'), 'utf8')) as { usingComponents?: Record<string, string> };
  const wxml = await readFile(`${base}.wxml`, 'utf8');
  const appWxss = await readFile(path.join(appRoot, 'app.wxss'), 'utf8');
  const pageWxss = await readFile(`${base}.wxss`, 'utf8').catch(() => '');
  const toRoot = (css: string) => css.replace(/(^|[\s,}])page(\s*[{,])/g, '$1.page-root$2');
  const methods = handlers(wxml)
    .map((h) => `${h}: function () {}`)
    .join(',');
  const key = `/${page}`;
  return {
    [`${key}.json`]: JSON.stringify({ component: true, usingComponents: { ...appJson.usingComponents, ...json.usingComponents } }),
    [`${key}.wxml`]: `<view class="page-root">${nativeStandIns(wxml)}</view>`,
    [`${key}.wxss`]: toRoot(appWxss) + toRoot(pageWxss),
    [`${key}.js`]: `Component({ properties: { d: { type: Object, value: {} } }, observers: { d: function (v) { this.setData(v); } }, methods: { ${methods} } });`,
  };
}
