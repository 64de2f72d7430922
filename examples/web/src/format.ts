/** Display helpers for the web chat page (Simplified Chinese UI). */
import type { Conversation } from '@miniim/sdk/web';

const pad = (n: number) => String(n).padStart(2, '0');

/** "14:05" today, "昨天 14:05", "3月8日 14:05", or with the year when not this year. */
export function formatTime(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const n = new Date(now);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();
  if (sameDay(d, n)) return hm;
  if (sameDay(d, new Date(now - 86_400_000))) return `昨天 ${hm}`;
  const md = `${d.getMonth() + 1}月${d.getDate()}日`;
  return d.getFullYear() === n.getFullYear() ? `${md} ${hm}` : `${d.getFullYear()}年${md} ${hm}`;
}

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
