/** Display helpers for the web chat page (Simplified Chinese UI). */
import type { Conversation } from '@miniim/sdk/web';

export { formatTime } from '@miniim/sdk/web';

/** Title of a conversation: the peer's nickname or the group's name. */
export function convTitle(c: Conversation, me: string): string {
  if (c.kind === 'group') return c.group?.name || c.conv.slice(2);
  if (c.peer) return c.peer.nickname || c.peer.id;
  const [, a, b] = c.conv.split(':');
  return a === me ? b : a;
}

const COLORS = ['#f59e0b', '#10b981', '#3b82f6', '#8b5cf6', '#ef4444', '#14b8a6', '#ec4899', '#6366f1'];

/** Fills an avatar element: the image when there is one, else a coloured initial. */
export function paintAvatar(el: HTMLElement, name: string, url?: string): void {
  el.className = 'avatar';
  if (url) {
    el.style.backgroundImage = `url("${url.replace(/"/g, '%22')}")`;
    el.textContent = '';
    return;
  }
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  el.style.backgroundColor = COLORS[h % COLORS.length];
  el.textContent = (name || '?').slice(0, 1).toUpperCase();
}
