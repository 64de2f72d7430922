/**
 * `<message-bubble>`: one message. Mine on the right, others' on the left with their avatar
 * (and name in groups); text, image, video, voice and file bodies; recalled and system
 * messages as a centred notice; "sending" (with upload progress) and "failed" (tap to resend);
 * "已读" under my messages the peer has read.
 * Events: `resend`, `menu` (long press), `preview` {url}, `play` {url} (voice), `video` {url, cover}
 * (full-screen player), `open` {url, name} (file), `cancel` (upload), `avatar` — all with `key`.
 */
import { formatDuration, formatSize, mediaUrl, recalledText, systemText, voiceSeconds } from '../../lib/format.js';

interface MsgLike {
  from: string;
  kind: string;
  body: Record<string, unknown>;
  status?: string;
  recalled?: { by: string; ts: number };
}

/** What the template shows. */
export interface BubbleView {
  notice: string;
  kind: string;
  status: string;
  text: string;
  url: string;
  cover: string;
  size: string;
  seconds: number;
  audioWidth: number;
  fileName: string;
  fileSize: string;
  /** "PDF", "DOCX", … ('文件' when unknown). */
  fileType: string;
  /** Video length "0:42" ('' when unknown). */
  duration: string;
}

/** Derives the bubble's view from a message (exported for reuse; pure). */
export function bubbleView(m: MsgLike, mine: boolean, me: string, name: string, baseUrl: string): BubbleView {
  const b = m.body ?? {};
  const v: BubbleView = {
    notice: '',
    kind: m.kind,
    status: mine ? (m.status ?? 'sent') : 'sent',
    text: '',
    url: '',
    cover: '',
    size: '',
    seconds: 0,
    audioWidth: 0,
    fileName: '',
    fileSize: '',
    fileType: '',
    duration: '',
  };
  if (m.recalled) {
    v.notice = recalledText(m.recalled.by, me || (mine ? m.from : ''), m.recalled.by === m.from ? name : undefined);
    return v;
  }
  switch (m.kind) {
    case 'system':
      v.notice = systemText(b);
      break;
    case 'text':
      v.text = String(b.text ?? '');
      break;
    case 'image': {
      v.url = mediaUrl(b.url, baseUrl);
      const w = Number(b.width) || 0;
      const h = Number(b.height) || 0;
      if (w > 0 && h > 0) {
        // Fit in 360rpx keeping the ratio (at least 120rpx on the short side).
        const scale = 360 / Math.max(w, h);
        v.size = `width: ${Math.max(120, Math.round(w * scale))}rpx; height: ${Math.max(120, Math.round(h * scale))}rpx;`;
      }
      break;
    }
    case 'video':
      v.url = mediaUrl(b.url, baseUrl);
      v.cover = mediaUrl(b.cover, baseUrl);
      v.duration = formatDuration(b.duration);
      break;
    case 'audio':
      v.url = mediaUrl(b.url, baseUrl);
      v.seconds = voiceSeconds(b.duration);
      v.audioWidth = Math.min(440, 120 + v.seconds * 10);
      break;
    case 'file':
      v.url = mediaUrl(b.url, baseUrl);
      v.fileName = String(b.name ?? '文件');
      v.fileSize = formatSize(b.size);
      v.fileType = (/\.([A-Za-z0-9]{1,8})$/.exec(v.fileName)?.[1] ?? '').toUpperCase() || '文件';
      break;
    default:
      v.kind = 'unknown';
      v.text = '[暂不支持的消息，请升级后查看]';
  }
  return v;
}

Component({
  properties: {
    /** An SDK `ClientMessage` (or a local upload). */
    msg: { type: Object, value: {} },
    /** Row key, sent back with every event. */
    itemKey: { type: String, value: '' },
    mine: { type: Boolean, value: false },
    /** The logged-in user id (for "你撤回了…"). */
    me: { type: String, value: '' },
    /** Sender name shown above the bubble (groups). */
    name: { type: String, value: '' },
    avatarUrl: { type: String, value: '' },
    avatarName: { type: String, value: '' },
    baseUrl: { type: String, value: '' },
    read: { type: Boolean, value: false },
    /** Upload progress 0–100, or -1. */
    progress: { type: Number, value: -1 },
    /** This voice message is playing (animated waves). */
    playing: { type: Boolean, value: false },
  },
  data: { v: {} as BubbleView },
  observers: {
    'msg, mine, me, name, baseUrl': function (
      this: WechatMiniprogram.Component.TrivialInstance,
      msg: MsgLike,
      mine: boolean,
      me: string,
      name: string,
      baseUrl: string,
    ) {
      if (!msg?.kind) return;
      this.setData({ v: bubbleView(msg, mine, me, name || String((this.data as { avatarName?: string }).avatarName ?? ''), baseUrl) });
    },
  },
  methods: {
    onTap() {
      const v = this.data.v as BubbleView;
      if (v.status === 'failed') {
        this.triggerEvent('resend', { key: this.data.itemKey });
        return;
      }
      if ((this.data.progress as number) >= 0) return; // still uploading: the cancel button is the action
      if (v.kind === 'image') this.triggerEvent('preview', { key: this.data.itemKey, url: v.url });
      else if (v.kind === 'audio') this.triggerEvent('play', { key: this.data.itemKey, url: v.url });
      else if (v.kind === 'video') this.triggerEvent('video', { key: this.data.itemKey, url: v.url, cover: v.cover });
      else if (v.kind === 'file') this.triggerEvent('open', { key: this.data.itemKey, url: v.url, name: v.fileName });
    },
    onCancel() {
      this.triggerEvent('cancel', { key: this.data.itemKey });
    },
    onResend() {
      this.triggerEvent('resend', { key: this.data.itemKey });
    },
    onLongPress() {
      this.triggerEvent('menu', { key: this.data.itemKey });
    },
    onAvatar() {
      this.triggerEvent('avatar', { key: this.data.itemKey, from: (this.data.msg as MsgLike).from });
    },
  },
});
