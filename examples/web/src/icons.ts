/**
 * Line icons (inline SVG, 24×24 grid, 1.8 px stroke in `currentColor`) for the page's
 * controls, in the spirit of WeChat's own icons; colour emoji are for message content only.
 */

const PATHS = {
  back: 'M15 5l-7 7 7 7',
  emoji: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18zM8.5 14.5c1.9 2.2 5.1 2.2 7 0M9 9.5v.5M15 9.5v.5',
  image: 'M4 5h16v14H4zM4 16l5-5 4 4 2.5-2.5L20 17M15.5 8.5v.5',
  video: 'M3 6h12v12H3zM15 10l6-3.5v11L15 14',
  file: 'M6 3h8l4 4v14H6zM14 3v4h4',
  plus: 'M12 5v14M5 12h14',
  close: 'M6 6l12 12M18 6L6 18',
  members: 'M9 11a3.5 3.5 0 1 0 0-7a3.5 3.5 0 1 0 0 7zM2.5 20c.6-3.6 3.2-5.5 6.5-5.5s5.9 1.9 6.5 5.5M16 4.3a3.5 3.5 0 0 1 0 6.4M18 14.8c2 .7 3.2 2.4 3.5 5.2',
  chat: 'M4 5h16v11H9l-5 4z',
  group:
    'M8 11a3 3 0 1 0 0-6a3 3 0 1 0 0 6zM16 11a3 3 0 1 0 0-6a3 3 0 1 0 0 6zM2 19c.5-3 2.8-4.7 6-4.7s5.5 1.7 6 4.7M14.5 14.5c.5-.1 1-.2 1.5-.2 3.2 0 5.5 1.7 6 4.7',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  recall: 'M9 14L4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11',
  logout: 'M10 4H5v16h5M14 8l4 4-4 4M18 12H9',
  play: 'M8 5v14l11-7z',
  audio: 'M11 5L6 9H3v6h3l5 4zM15.5 8.5a5 5 0 0 1 0 7M18.5 5.5a9 9 0 0 1 0 13',
  offline:
    'M2 8.8a15 15 0 0 1 4.2-2.6M9.5 5.3A15 15 0 0 1 22 8.8M5 12.5a10 10 0 0 1 3.5-2.1M15 10.8a10 10 0 0 1 4 1.7M8.5 16a5 5 0 0 1 7 0M12 20h.01M3 3l18 18',
  check: 'M5 12.5l4.5 4.5L19 7',
} as const;

export type IconName = keyof typeof PATHS;

const NS = 'http://www.w3.org/2000/svg';

/** An inline SVG icon; `label` makes it announced, else it is decorative. */
export function icon(name: IconName, label?: string): SVGSVGElement {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('fill', name === 'play' ? 'currentColor' : 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '1.8');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', PATHS[name]);
  svg.appendChild(path);
  return svg;
}

/** Replaces the children of every `[data-icon]` element in the page with its icon (static markup). */
export function paintStaticIcons(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-icon]')) {
    el.prepend(icon(el.dataset.icon as IconName));
  }
}
