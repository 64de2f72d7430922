/** Display helpers for the web chat page (Simplified Chinese UI). */
import type { Conversation, Group } from '@miniim/sdk/web';

export { formatTime } from '@miniim/sdk/web';

/** Names of people and groups as the page knows them (profiles, group views). */
export interface Names {
  /** A user's nickname, else the id. */
  user(id: string): string;
  /** A group's view, if known (a new group before the list has it). */
  group(id: string): Group | undefined;
}

/** Title of a conversation: the peer's nickname or the group's name; never a raw group id. */
export function convTitle(c: Pick<Conversation, 'conv' | 'kind' | 'peer' | 'group'>, me: string, names: Names): string {
  if (c.kind === 'group') return c.group?.name || names.group(c.conv.slice(2))?.name || '群聊';
  if (c.peer?.nickname && c.peer.nickname !== c.peer.id) return c.peer.nickname;
  return names.user(peerOf(c.conv, me));
}

/** The other member of a direct conversation id. */
export function peerOf(conv: string, me: string): string {
  const [, a, b] = conv.split(':');
  return a === me ? b : a;
}

const COLORS = ['#f59e0b', '#10b981', '#3b82f6', '#8b5cf6', '#ef4444', '#14b8a6', '#ec4899', '#6366f1'];

/** Fills an avatar element: the image when there is one, else a coloured initial. */
export function paintAvatar(el: HTMLElement, name: string, url?: string): void {
  el.classList.add('avatar');
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
