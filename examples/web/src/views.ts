/** Rendering of the conversation list and the message list. */
import { type ClientMessage, type Conversation, type ImClient, previewText, systemText, timeSeparators } from '@miniim/sdk/web';
import { h } from './dom.js';
import { convTitle, formatTime, paintAvatar } from './format.js';

/** Renders the conversation list with unread badges. */
export function renderConversations(list: HTMLElement, convs: Conversation[], me: string, active: string | undefined, open: (conv: string) => void): void {
  list.replaceChildren(
    ...convs.map((c) => {
      const title = convTitle(c, me);
      const avatar = h('span');
      paintAvatar(avatar, title, c.kind === 'group' ? c.group?.avatarUrl : c.peer?.avatarUrl);
      const badge = c.unread > 0 ? h('span', { className: 'badge', text: c.unread > 99 ? '99+' : String(c.unread), attrs: { 'data-testid': 'unread' } }) : null;
      const li = h('li', { className: `conv${c.conv === active ? ' active' : ''}`, attrs: { 'data-conv': c.conv } }, [
        avatar,
        h('div', { className: 'conv-main' }, [
          h('div', { className: 'conv-top' }, [
            h('span', { className: 'conv-name', text: title }),
            h('span', { className: 'conv-time', text: c.lastMessage ? formatTime(c.lastMessage.ts) : '' }),
          ]),
          h('div', { className: 'conv-top' }, [h('span', { className: 'conv-last', text: previewText(c.lastMessage, me) }), badge]),
        ]),
      ]);
      li.addEventListener('click', () => open(c.conv));
      return li;
    }),
  );
}

function bubbleContent(m: ClientMessage): Node {
  const b = m.body as Record<string, unknown>;
  if (m.kind === 'image' && typeof b.url === 'string') {
    return h('img', { attrs: { src: b.url, alt: '图片', loading: 'lazy' } });
  }
  if (m.kind === 'text') return document.createTextNode(String(b.text ?? ''));
  return document.createTextNode(previewText(m, ''));
}

export interface MessageActions {
  recall(m: ClientMessage): void;
  retry(m: ClientMessage): void;
  nameOf(userId: string): string;
  avatarOf(userId: string): string | undefined;
}

/** Renders the messages of one conversation: time separators, left/right bubbles, avatars. */
export function renderMessages(ol: HTMLElement, client: ImClient, conv: Conversation, actions: MessageActions): void {
  const me = client.user?.id ?? '';
  const msgs = client.messages(conv.conv);
  const seps = new Set(timeSeparators(msgs));
  const atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 60;
  const items: HTMLElement[] = [];
  msgs.forEach((m, i) => {
    if (seps.has(i)) items.push(h('li', { className: 'time-sep', text: formatTime(m.ts) }));
    if (m.kind === 'system') {
      items.push(h('li', { className: 'notice', text: systemText(m.body as Record<string, unknown>) }));
      return;
    }
    if (m.recalled) {
      const who = m.recalled.by === me ? '你' : `“${actions.nameOf(m.recalled.by)}”`;
      items.push(h('li', { className: 'notice', text: `${who}撤回了一条消息`, attrs: { 'data-seq': String(m.seq) } }));
      return;
    }
    const mine = m.from === me;
    const avatar = h('span');
    paintAvatar(avatar, actions.nameOf(m.from), actions.avatarOf(m.from));
    const col = h('div', { className: 'col' }, [
      conv.kind === 'group' && !mine ? h('span', { className: 'sender', text: actions.nameOf(m.from) }) : null,
      h('div', { className: 'bubble' }, [bubbleContent(m)]),
    ]);
    let extra: HTMLElement | null = null;
    if (m.status === 'sending') extra = h('span', { className: 'status', text: '发送中…' });
    else if (m.status === 'failed') {
      extra = h('span', { className: 'status failed', text: '发送失败，点击重试', attrs: { title: m.error?.message ?? '' } });
      extra.addEventListener('click', () => actions.retry(m));
    } else if (mine && Date.now() - m.ts < 120_000) {
      extra = h('button', { className: 'recall', text: '撤回', attrs: { type: 'button' } });
      extra.addEventListener('click', () => actions.recall(m));
    }
    items.push(
      h('li', { className: `msg${mine ? ' mine' : ''}`, attrs: { 'data-id': m.id, 'data-seq': String(m.seq), 'data-status': m.status } }, [avatar, col, extra]),
    );
  });
  ol.replaceChildren(...items);
  if (atBottom || msgs[msgs.length - 1]?.from === me) ol.scrollTop = ol.scrollHeight;
}
