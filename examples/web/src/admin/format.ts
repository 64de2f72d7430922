/** Words and formats of the admin console (Simplified Chinese). */
import { h } from '../dom.js';

/** Audit actions as the console names them (the dotted name is shown beside). */
export const ACTION_NAMES: Record<string, string> = {
  'stats.read': '查看概览',
  'user.search': '搜索用户',
  'user.read': '查看用户',
  'user.sessions': '查看登录会话',
  'user.ban': '封禁用户',
  'user.unban': '解除封禁',
  'user.export': '导出用户数据',
  'user.erase': '删除用户',
  'message.read': '查看消息',
  'message.remove': '删除消息',
  'conversation.export': '导出会话',
  'group.list': '查看群列表',
  'group.read': '查看群',
  'group.members': '查看群成员',
  'group.dissolve': '解散群',
  'group.transfer': '转让群主',
  'group.mute': '全员禁言',
  'group.mute_member': '成员禁言',
  'notice.send': '发送系统通知',
  'audit.read': '查看审计日志',
  'moderation.reject': '内容审核拦截',
  'moderation.review_accept': '内容审核存疑放行',
  'moderation.unavailable_reject': '审核不可用时拦截',
  'moderation.media_removed': '违规媒体已删除',
};

/** `封禁用户（user.ban）`; a failed call `查看消息失败（message.read.failed）`; an unknown action as it is. */
export function actionLabel(action: string): string {
  const failed = action.endsWith('.failed');
  const name = ACTION_NAMES[failed ? action.slice(0, -'.failed'.length) : action];
  return name ? `${name}${failed ? '失败' : ''}（${action}）` : action;
}

/** `2026-12-01 10:45:17` in the browser's time zone. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `<dt>label</dt><dd>value</dd>` pairs of a definition list; an optional class on the value. */
export function fieldRows(fields: Array<[string, string, string?]>): HTMLElement[] {
  return fields.flatMap(([label, value, className]) => [h('dt', { text: label }), h('dd', { text: value, ...(className ? { className } : {}) })]);
}
