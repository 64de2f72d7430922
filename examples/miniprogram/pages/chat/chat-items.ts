/** Builds the chat page's list rows from SDK messages (pure: no `wx`, no client). */
import { type ClientMessage, timeSeparators } from '@miniim/sdk/wx';

/**
 * A file being uploaded before it becomes a message (shown with its progress and a cancel).
 * `id` is the clientMsgId the message will be sent with, so the row keeps its key (and its
 * place) when the upload turns into the message: only the changed fields go to `setData`.
 */
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
  /** Video cover picked with the video (`thumbTempFilePath`), uploaded with it. */
  thumb?: string;
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
  /** "已读" under the latest of my messages the peer has read (direct chats). */
  read: boolean;
  /** Upload progress 0–100, or -1. */
  progress: number;
  /** This voice message is playing (the bubble animates). */
  playing: boolean;
}

export interface ItemContext {
  me: string;
  group: boolean;
  /** Highest seq the peer has read (direct chats). */
  peerReadSeq: number;
  nameOf(id: string): string;
  avatarOf(id: string): string;
  /** Key of the voice message playing ('' for none). */
  playingKey?: string;
}

function keyOf(m: ClientMessage | LocalUpload, me: string): string {
  if ('file' in m) return `c-${m.id}`;
  return m.from === me && m.clientMsgId ? `c-${m.clientMsgId}` : `m-${m.id}`;
}

/** Messages (by seq, then pending, then uploads) → rows with time separators and read marks. */
export function buildItems(messages: ReadonlyArray<ClientMessage | LocalUpload>, ctx: ItemContext): ChatItem[] {
  const separators = new Set(timeSeparators(messages));
  // "已读" shows once, under the newest of my messages the peer has read (not under every one).
  let lastRead = -1;
  if (!ctx.group) {
    messages.forEach((m, i) => {
      if (m.from === ctx.me && m.kind !== 'system' && m.status === 'sent' && m.seq > 0 && m.seq <= ctx.peerReadSeq && !m.recalled) lastRead = i;
    });
  }
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
      read: i === lastRead,
      progress: 'file' in m && m.status === 'sending' ? m.progress : -1,
      playing: !!ctx.playingKey && key === ctx.playingKey,
    };
  });
}
