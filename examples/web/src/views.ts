/** Rendering of the conversation list and the message list. */
import { type ClientMessage, type Conversation, previewText, systemText, timeSeparators } from '@miniim/sdk/web';
import { h } from './dom.js';
import { convTitle, formatTime, type Names, paintAvatar } from './format.js';
import { icon } from './icons.js';
import { onContextGesture } from './overlay.js';
import { formatDuration, formatSize, type Upload } from './uploads.js';

/** Renders the conversation list: avatar, title and time, preview and unread badge (text ellipsised, never the badge). */
export function renderConversations(
  list: HTMLElement,
  convs: Conversation[],
  me: string,
  active: string | undefined,
  names: Names,
  open: (conv: string) => void,
): void {
  list.replaceChildren(
    ...convs.map((c) => {
      const title = convTitle(c, me, names);
      const avatar = h('span');
      paintAvatar(avatar, title, c.kind === 'group' ? c.group?.avatarUrl : c.peer?.avatarUrl);
      const badge = c.unread > 0 ? h('span', { className: 'badge', text: c.unread > 99 ? '99+' : String(c.unread), attrs: { 'data-testid': 'unread' } }) : null;
      const last = c.lastMessage;
      const sender = c.kind === 'group' && last ? names.user(last.from) : undefined;
      const preview = h('span', { className: 'conv-last', text: previewText(last, me, sender, (id) => names.user(id)) });
      if (c.mentioned && c.unread > 0) preview.prepend(h('em', { className: 'mention', text: '[有人@我] ' }));
      if (last?.status === 'failed' && last.from === me)
        preview.prepend(h('span', { className: 'failed-dot', text: '!', attrs: { 'aria-label': '发送失败' } }));
      const li = h('li', { className: `conv${c.conv === active ? ' active' : ''}`, attrs: { 'data-conv': c.conv, tabindex: '0' } }, [
        avatar,
        h('div', { className: 'conv-main' }, [
          h('div', { className: 'conv-row' }, [
            h('span', { className: 'conv-name', text: title }),
            h('span', { className: 'conv-time', text: last ? formatTime(last.ts) : '' }),
          ]),
          h('div', { className: 'conv-row' }, [preview, badge]),
        ]),
      ]);
      li.addEventListener('click', () => open(c.conv));
      li.addEventListener('keydown', (e) => e.key === 'Enter' && open(c.conv));
      return li;
    }),
  );
}

/** Everything the message list needs besides the messages. */
export interface ChatViewModel {
  me: string;
  conv: Conversation;
  names: Names;
  avatarOf(userId: string): string | undefined;
  uploads: Upload[];
  /** Direct chats: how far the peer has read. */
  peerReadSeq: number;
  /** Groups: seq → members (other than me) who read it, for my recent messages. */
  groupReads: Map<number, number>;
  /** Groups: the member count as of the last member list (undefined until fetched). */
  groupSize: number | undefined;
  menu(m: ClientMessage, x: number, y: number): void;
  retry(m: ClientMessage): void;
  showReaders(m: ClientMessage): void;
  cancelUpload(u: Upload): void;
  playAudio(url: string, el: HTMLElement): void;
  /** Older messages: more on the server, being loaded, or none left. */
  history: 'more' | 'loading' | 'none';
}

function videoBubble(b: Record<string, unknown>): HTMLElement {
  const video = h('video', { attrs: { src: String(b.url), preload: 'metadata', playsinline: '' } });
  const box = h('div', { className: 'video' }, [video]);
  if (typeof b.cover === 'string') video.poster = b.cover;
  const dur = h('span', { className: 'duration', text: typeof b.duration === 'number' ? formatDuration(b.duration) : '' });
  const play = h('span', { className: 'play' }, [icon('play')]);
  box.append(play, dur);
  // Keep the video's own shape (no 4:3 crop of a 16:9 clip): 16:9 until the metadata says otherwise.
  video.addEventListener('loadedmetadata', () => {
    if (video.videoWidth && video.videoHeight) box.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
    if (!dur.textContent && Number.isFinite(video.duration)) dur.textContent = formatDuration(video.duration * 1000);
  });
  box.addEventListener('click', () => {
    if (video.controls) return;
    video.controls = true;
    play.remove();
    dur.remove();
    void video.play().catch(() => {});
  });
  return box;
}

function bubbleContent(m: ClientMessage, vm: ChatViewModel): Node {
  const b = m.body as Record<string, unknown>;
  const url = typeof b.url === 'string' ? b.url : '';
  switch (m.kind) {
    case 'text':
      return document.createTextNode(String(b.text ?? ''));
    case 'image': {
      const attrs: Record<string, string> = { src: url, alt: '图片', loading: 'lazy' };
      if (typeof b.width === 'number' && typeof b.height === 'number' && b.width > 0 && b.height > 0) {
        attrs.width = String(b.width);
        attrs.height = String(b.height);
      }
      return h('img', { attrs });
    }
    case 'video':
      return videoBubble(b);
    case 'audio': {
      const el = h('button', { className: 'audio', attrs: { type: 'button', 'aria-label': '播放语音' } }, [
        icon('audio'),
        h('span', { text: typeof b.duration === 'number' ? `${Math.max(1, Math.round(b.duration / 1000))}″` : '' }),
      ]);
      el.addEventListener('click', () => vm.playAudio(url, el));
      return el;
    }
    case 'file':
      return h('a', { className: 'file', attrs: { href: url, download: String(b.name ?? ''), target: '_blank', rel: 'noopener' } }, [
        h('span', { className: 'file-text' }, [
          h('span', { className: 'file-name', text: String(b.name ?? '文件') }),
          h('small', { text: typeof b.size === 'number' ? formatSize(b.size) : '' }),
        ]),
        icon('file'),
      ]);
    default:
      return document.createTextNode(previewText(m, vm.me));
  }
}

function receipt(m: ClientMessage, vm: ChatViewModel, latestRead: number, lastMine: number): HTMLElement | null {
  if (m.from !== vm.me || m.status !== 'sent') return null;
  if (vm.conv.kind === 'direct') {
    if (m.seq === latestRead) return h('span', { className: 'receipt read', text: '已读' });
    if (m.seq === lastMine && m.seq > vm.peerReadSeq) return h('span', { className: 'receipt', text: '未读' });
    return null;
  }
  const n = vm.groupReads.get(m.seq);
  if (n === undefined) return null;
  const others = (vm.groupSize ?? 0) - 1;
  const text = others > 0 && n >= others ? '全部已读' : n === 0 ? '未读' : `${n} 人已读`;
  const el = h('button', { className: `receipt link${n > 0 ? ' read' : ''}`, text, attrs: { type: 'button', 'data-testid': 'readers' } });
  el.addEventListener('click', () => vm.showReaders(m));
  return el;
}

function uploadItem(u: Upload, vm: ChatViewModel): HTMLElement {
  const pct = u.total > 0 ? Math.round((u.loaded / u.total) * 100) : 0;
  const cancel = h('button', { className: 'link cancel', attrs: { type: 'button', 'aria-label': '取消上传' } }, [icon('close')]);
  cancel.addEventListener('click', () => vm.cancelUpload(u));
  const preview = u.preview
    ? h('img', { attrs: { src: u.preview, alt: '' } })
    : h('span', { className: 'upload-name' }, [icon(u.kind === 'video' ? 'video' : 'file'), h('span', { text: u.name })]);
  const bar = h('progress', { attrs: { max: '100', value: String(pct), 'aria-label': `上传中 ${pct}%` } });
  const avatar = h('span');
  paintAvatar(avatar, vm.names.user(vm.me), vm.avatarOf(vm.me));
  return h('li', { className: 'msg mine uploading', attrs: { 'data-upload': u.id } }, [
    avatar,
    h('div', { className: 'col' }, [h('div', { className: 'bubble upload' }, [preview, h('div', { className: 'progress-row' }, [bar, cancel])])]),
  ]);
}

/** Renders the messages of one conversation: time separators, bubbles, receipts, uploads in progress. */
export function renderMessages(ol: HTMLElement, msgs: ClientMessage[], vm: ChatViewModel): void {
  const { me } = vm;
  const seps = new Set(timeSeparators(msgs));
  const atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 60;
  const mine = msgs.filter((m) => m.from === me && m.status === 'sent' && !m.recalled && m.kind !== 'system');
  const lastMine = mine.at(-1)?.seq ?? 0;
  const latestRead = mine.filter((m) => m.seq <= vm.peerReadSeq).at(-1)?.seq ?? 0;
  const items: HTMLElement[] = [];
  if (vm.history === 'loading') items.push(h('li', { className: 'history-edge', text: '加载中…' }));
  else if (vm.history === 'none' && msgs.length > 0) items.push(h('li', { className: 'history-edge', text: '没有更早的消息了' }));
  msgs.forEach((m, i) => {
    if (seps.has(i)) items.push(h('li', { className: 'time-sep', text: formatTime(m.ts) }));
    if (m.kind === 'system') {
      items.push(
        h('li', { className: 'notice', text: systemText(m.body as Record<string, unknown>, (id) => vm.names.user(id)), attrs: { 'data-seq': String(m.seq) } }),
      );
      return;
    }
    if (m.recalled) {
      items.push(h('li', { className: 'notice', text: previewText(m, me, vm.names.user(m.from)), attrs: { 'data-seq': String(m.seq) } }));
      return;
    }
    const isMine = m.from === me;
    const avatar = h('span');
    paintAvatar(avatar, vm.names.user(m.from), vm.avatarOf(m.from));
    const bubble = h('div', { className: `bubble kind-${m.kind}` }, [bubbleContent(m, vm)]);
    onContextGesture(bubble, (x, y) => vm.menu(m, x, y));
    let status: HTMLElement | null = null;
    if (m.status === 'sending') status = h('span', { className: 'spinner', attrs: { 'aria-label': '发送中' } });
    else if (m.status === 'failed') {
      status = h('button', { className: 'failed-mark', text: '!', attrs: { type: 'button', title: '发送失败，点击重发', 'aria-label': '发送失败，点击重发' } });
      status.addEventListener('click', () => vm.retry(m));
    }
    const col = h('div', { className: 'col' }, [
      vm.conv.kind === 'group' && !isMine ? h('span', { className: 'sender', text: vm.names.user(m.from) }) : null,
      h('div', { className: 'bubble-row' }, [bubble, status]),
      receipt(m, vm, latestRead, lastMine),
    ]);
    items.push(
      h('li', { className: `msg${isMine ? ' mine' : ''}`, attrs: { 'data-id': m.id, 'data-seq': String(m.seq), 'data-status': m.status } }, [avatar, col]),
    );
  });
  for (const u of vm.uploads) if (u.conv === vm.conv.conv) items.push(uploadItem(u, vm));
  ol.replaceChildren(...items);
  if (atBottom || msgs.at(-1)?.from === me) ol.scrollTop = ol.scrollHeight;
}
