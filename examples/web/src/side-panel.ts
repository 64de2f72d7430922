/** The side panel of a group chat: its members, or who has (not) read one of my messages. */
import type { GroupMember } from '@miniim/sdk/web';
import { $, h } from './dom.js';
import { paintAvatar } from './format.js';

const ROLE_TEXT: Record<string, string> = { owner: '群主', admin: '管理员' };

/** What the panel needs to draw a person. */
export interface PersonView {
  name(id: string): string;
  avatar(id: string): string | undefined;
}

function person(id: string, view: PersonView, tag?: string): HTMLElement {
  const avatar = h('span');
  paintAvatar(avatar, view.name(id), view.avatar(id));
  return h('li', { className: 'person', attrs: { 'data-user': id } }, [
    avatar,
    h('span', { className: 'person-name', text: view.name(id) }),
    tag ? h('small', { className: 'tag', text: tag }) : null,
  ]);
}

function open(title: string, body: HTMLElement[]): void {
  $('side-title').textContent = title;
  $('side-body').replaceChildren(...body);
  $('side-panel').hidden = false;
}

/** Closes the panel. */
export function closeSidePanel(): void {
  $('side-panel').hidden = true;
}

/** Shows "群成员 (n)" with roles. */
export function showMembers(members: GroupMember[], view: PersonView): void {
  open(`群成员（${members.length}）`, [
    h(
      'ul',
      { className: 'people', attrs: { 'data-testid': 'members' } },
      members.map((m) => person(m.userId, view, ROLE_TEXT[m.role])),
    ),
  ]);
}

/** Shows the readers and the members who have not read a message yet. */
export function showReaders(readers: string[], unread: string[], view: PersonView): void {
  const section = (label: string, ids: string[], testid: string) => [
    h('h4', { className: 'people-head', text: `${label}（${ids.length}）` }),
    h(
      'ul',
      { className: 'people', attrs: { 'data-testid': testid } },
      ids.map((id) => person(id, view)),
    ),
  ];
  open('消息接收人列表', [...section('已读', readers, 'read-list'), ...section('未读', unread, 'unread-list')]);
}

/** Shows a short notice in the panel (loading, an error). */
export function showPanelNotice(title: string, text: string): void {
  open(title, [h('p', { className: 'muted panel-notice', text })]);
}
