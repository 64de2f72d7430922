/** Builds the chat page's list rows from SDK messages (pure: no `wx`, no client). */
import { type ClientMessage, timeSeparators } from '@miniim/sdk/wx';

/** A file being uploaded before it becomes a message (shown with its progress). */
export interface LocalUpload {
  id: string;
  conv: string;
  seq: 0;
  from: string;
  kind: 'image' | 'video' | 'audio' | 'file';
  body: Record<string, unknown>;
  ts: number;
  status: 'sending' | 'failed';
  progress: number;
  /** Never set (an upload is not a message yet); keeps the row type uniform. */
  recalled?: undefined;
  /** What to do on "resend": the picked file. */
  file: PickedFile;
}

/** A file picked with chooseMedia / chooseMessageFile / the recorder. */
export interface PickedFile {
  kind: 'image' | 'video' | 'audio' | 'file';
  path: string;
  size?: number;
  width?: number;
  height?: number;
  /** Milliseconds. */
  duration?: number;
  name?: string;
}

/** One row of the chat: a bubble, with or without a time separator above it. */
export interface ChatItem {
  /** `wx:key`: stable while a message goes from sending to sent. */
  key: string;
  /** Element id for `scroll-into-view`. */
  anchor: string;
  msg: ClientMessage | LocalUpload;
  mine: boolean;
  /** Sender name shown above others' bubbles in groups ('' otherwise). */
  name: string;
  avatarUrl: string;
  /** Sender name for the avatar's initial. */
  avatarName: string;
  showTime: boolean;
  /** "已读" under my messages the peer has read (direct chats). */
  read: boolean;
  /** Upload progress 0–100, or -1. */
  progress: number;
}

export interface ItemContext {
  me: string;
  group: boolean;
  /** Highest seq the peer has read (direct chats). */
  peerReadSeq: number;
  nameOf(id: string): string;
  avatarOf(id: string): string;
}

function keyOf(m: ClientMessage | LocalUpload, me: string): string {
  if ('file' in m) return m.id;
  return m.from === me && m.clientMsgId ? `c-${m.clientMsgId}` : `m-${m.id}`;
}

/** Messages (by seq, then pending, then uploads) → rows with time separators and read marks. */
export function buildItems(messages: ReadonlyArray<ClientMessage | LocalUpload>, ctx: ItemContext): ChatItem[] {
  const separators = new Set(timeSeparators(messages));
  return messages.map((m, i) => {
    const key = keyOf(m, ctx.me);
    const mine = m.from === ctx.me;
    const isSystem = m.kind === 'system';
    return {
      key,
      anchor: `a${key.replace(/[^A-Za-z0-9_-]/g, '_')}`,
      msg: m,
      mine,
      name: ctx.group && !mine && !isSystem ? ctx.nameOf(m.from) : '',
      avatarUrl: ctx.avatarOf(m.from),
      avatarName: ctx.nameOf(m.from),
      showTime: separators.has(i),
      read: !ctx.group && mine && !isSystem && m.status === 'sent' && !('recalled' in m && m.recalled) && m.seq > 0 && m.seq <= ctx.peerReadSeq,
      progress: 'file' in m && m.status === 'sending' ? m.progress : -1,
    };
  });
}
