/** In-page feedback instead of native dialogs: a toast and a context menu (right-click / long-press). */
import { h } from './dom.js';
import { type IconName, icon } from './icons.js';

let toastTimer: ReturnType<typeof setTimeout> | undefined;

/** Shows a short message at the bottom of the page for a few seconds. */
export function toast(text: string, ms = 2500): void {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { className: 'toast', attrs: { id: 'toast', role: 'status', 'aria-live': 'polite' } });
    document.body.appendChild(el);
  }
  el.textContent = text;
  el.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    if (el) el.hidden = true;
  }, ms);
}

export interface MenuItem {
  label: string;
  icon: IconName;
  action: () => void;
  /** data-action, for tests and styling. */
  id: string;
}

let closeMenu: (() => void) | undefined;

/** Opens a context menu at a point (clamped into the viewport); closes on any outside tap, Escape or scroll. */
export function openMenu(x: number, y: number, items: MenuItem[]): void {
  closeMenu?.();
  if (items.length === 0) return;
  const menu = h(
    'ul',
    { className: 'menu', attrs: { role: 'menu', id: 'context-menu' } },
    items.map((it) => {
      const li = h('li', { attrs: { role: 'menuitem', tabindex: '0', 'data-action': it.id } }, [icon(it.icon), h('span', { text: it.label })]);
      li.addEventListener('click', (e) => {
        e.stopPropagation();
        close();
        it.action();
      });
      return li;
    }),
  );
  document.body.appendChild(menu);
  const { width, height } = menu.getBoundingClientRect();
  menu.style.left = `${Math.max(8, Math.min(x, innerWidth - width - 8))}px`;
  menu.style.top = `${Math.max(8, Math.min(y, innerHeight - height - 8))}px`;
  const onDown = (e: Event) => {
    if (!menu.contains(e.target as Node)) close();
  };
  const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
  const close = () => {
    menu.remove();
    removeEventListener('pointerdown', onDown, true);
    removeEventListener('keydown', onKey);
    removeEventListener('scroll', close, true);
    removeEventListener('resize', close);
    closeMenu = undefined;
  };
  // Listen after the opening gesture is over.
  setTimeout(() => {
    addEventListener('pointerdown', onDown, true);
    addEventListener('keydown', onKey);
    addEventListener('scroll', close, true);
    addEventListener('resize', close);
  });
  closeMenu = close;
  (menu.firstElementChild as HTMLElement | null)?.focus({ preventScroll: true });
}

const LONG_PRESS_MS = 500;

/**
 * Calls `open(x, y)` on right-click and on a touch long-press (500 ms without moving),
 * never on a plain tap.
 */
export function onContextGesture(el: HTMLElement, open: (x: number, y: number) => void): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let start: { x: number; y: number } | undefined;
  let pressed = false;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  el.addEventListener('contextmenu', (e) => {
    e.preventDefault();
    if (pressed) return; // the long-press already opened it
    open(e.clientX, e.clientY);
  });
  el.addEventListener('pointerdown', (e) => {
    pressed = false;
    if (e.pointerType === 'mouse') return;
    start = { x: e.clientX, y: e.clientY };
    cancel();
    timer = setTimeout(() => {
      pressed = true;
      open(start?.x ?? e.clientX, start?.y ?? e.clientY);
    }, LONG_PRESS_MS);
  });
  el.addEventListener('pointermove', (e) => {
    if (start && Math.hypot(e.clientX - start.x, e.clientY - start.y) > 10) cancel();
  });
  for (const ev of ['pointerup', 'pointercancel', 'pointerleave'] as const) el.addEventListener(ev, cancel);
}
