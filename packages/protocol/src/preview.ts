/**
 * One-line Simplified Chinese previews of messages, shared by the conversation lists of
 * the web page and the mini-program and by the server's offline notifications, so that
 * "[图片]" or "张三 加入了群聊" read the same everywhere.
 */

import { SYSTEM_USER_ID } from './ids.js';

/** Maps a user id to the name to show (nickname, group card…); the id by default. */
export type NameOf = (userId: string) => string;

const idName: NameOf = (id) => id;

/** Text of a server-written `system` message (group events, content removal, the admin API's notices). */
export function systemText(body: Record<string, unknown>, names: NameOf = idName): string {
  const ids = Array.isArray(body.userIds) ? (body.userIds as unknown[]).map((id) => names(String(id))).join('、') : '';
  const by = typeof body.by === 'string' ? names(body.by) : '';
  const one = typeof body.userId === 'string' ? names(body.userId) : '';
  switch (body.event) {
    case 'group_created':
      return '群聊已创建';
    case 'member_joined':
      return `${ids} 加入了群聊`;
    case 'member_left': {
      const left = Array.isArray(body.userIds) ? body.userIds : [];
      return body.by !== undefined && !left.includes(body.by) ? `${ids} 被移出了群聊` : `${ids} 离开了群聊`;
    }
    case 'member_removed':
      return `${ids} 被移出了群聊`;
    case 'group_renamed':
      return `群名称已改为「${String(body.name ?? '')}」`;
    case 'group_muted':
      return body.muted ? '已开启全员禁言' : '已关闭全员禁言';
    case 'member_muted':
      return body.mutedUntil ? `${one} 已被禁言` : `${one} 已被解除禁言`;
    case 'role_changed':
      return body.role === 'admin' ? `${one} 成为管理员` : `${one} 不再是管理员`;
    case 'owner_changed':
      return `${typeof body.owner === 'string' ? names(body.owner) : ''} 成为群主`;
    case 'group_disbanded':
      return by ? `${by} 解散了群聊` : '群聊已解散';
    case 'content_removed':
      return '一条消息因违反规定已被删除';
    case 'notice':
      return typeof body.text === 'string' && body.text ? `【系统通知】${body.text}` : '【系统通知】';
    default:
      return '[系统消息]';
  }
}

/** "你撤回了一条消息" / "张三撤回了一条消息" / "对方撤回了一条消息". */
export function recalledText(by: string, me: string, byName?: string): string {
  if (by === me) return '你撤回了一条消息';
  if (by === SYSTEM_USER_ID) return '一条消息已被系统删除';
  return byName ? `${byName}撤回了一条消息` : '对方撤回了一条消息';
}

/** The body alone: the text, or words like "[图片]" for media. */
export function messagePreview(kind: string, body: unknown, names: NameOf = idName): string {
  const b = (body ?? {}) as Record<string, unknown>;
  switch (kind) {
    case 'text':
      return typeof b.text === 'string' ? b.text : '';
    case 'image':
      return '[图片]';
    case 'video':
      return '[视频]';
    case 'audio':
      return '[语音]';
    case 'file':
      return typeof b.name === 'string' && b.name ? `[文件] ${b.name}` : '[文件]';
    case 'custom':
      return '[自定义消息]';
    case 'system':
      return systemText(b, names);
    default:
      return '[消息]';
  }
}

/** The parts of a message a preview needs (a `Msg` or an SDK `ClientMessage` fits). */
export interface PreviewableMessage {
  kind: string;
  body: unknown;
  from: string;
  recalled?: { by: string; ts?: number };
}

/**
 * Preview for a conversation list: the recall notice for a recalled message (never the
 * old body), else the body's preview, prefixed with the sender's name when given and the
 * sender is someone else (group chats).
 */
export function previewText(m: PreviewableMessage | undefined, me: string, senderName?: string, names: NameOf = idName): string {
  if (!m) return '';
  if (m.recalled) {
    const { by } = m.recalled;
    if (by !== m.from && by !== me && by !== SYSTEM_USER_ID) return '管理员撤回了一条消息';
    return recalledText(by, me, senderName);
  }
  const text = messagePreview(m.kind, m.body, names);
  if (m.kind === 'system') return text;
  return senderName && m.from !== me ? `${senderName}: ${text}` : text;
}
