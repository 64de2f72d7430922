/** Display helpers shared by components and pages (pure, no `wx`; Simplified Chinese UI text). */

// Times, previews and system-message texts are the SDK's (shared with the web page; previews
// also with the server's notifications).
export { formatTime, previewText, recalledText, systemText } from '@miniim/sdk/wx';

const pad = (n: number) => String(n).padStart(2, '0');

/** Short time for the conversation list: "14:05", "昨天", "3月8日", "2023/3/8". */
export function formatListTime(ts: number, now = Date.now()): string {
  if (!ts) return '';
  const d = new Date(ts);
  const n = new Date(now);
  if (d.toDateString() === n.toDateString()) return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === new Date(now - 86_400_000).toDateString()) return '昨天';
  if (d.getFullYear() === n.getFullYear()) return `${d.getMonth() + 1}月${d.getDate()}日`;
  return `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()}`;
}

/** Resolves a media URL the server issued as a path (`/media/...`) against the server's base URL. */
export function mediaUrl(url: unknown, baseUrl = ''): string {
  if (typeof url !== 'string' || !url) return '';
  if (url.startsWith('/') && !url.startsWith('//')) return baseUrl.replace(/\/+$/, '') + url;
  return url;
}

/** The first character of a name, upper-cased, for avatars without a picture. */
export function initialOf(name: string): string {
  const s = (name || '').trim();
  return s ? Array.from(s)[0].toUpperCase() : '?';
}

const COLORS = ['#f59e0b', '#10b981', '#3b82f6', '#8b5cf6', '#ef4444', '#14b8a6', '#ec4899', '#6366f1'];

/** A stable colour per name. */
export function avatarColor(name: string): string {
  let h = 0;
  for (const ch of name || '?') h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

/** "1.2 MB" */
export function formatSize(bytes: unknown): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Voice length in seconds from milliseconds (at least 1). */
export function voiceSeconds(durationMs: unknown): number {
  return typeof durationMs === 'number' && durationMs > 0 ? Math.max(1, Math.round(durationMs / 1000)) : 1;
}

/** Video length from milliseconds: "0:42", "12:03" ('' when unknown). */
export function formatDuration(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return '';
  const total = Math.max(1, Math.round(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** Badge text: "99+" over 99, "" for none. */
export function badgeText(n: number): string {
  if (!n || n <= 0) return '';
  return n > 99 ? '99+' : String(n);
}

/** A user-facing sentence for an SDK / server error (`ImError.code`). */
export function errorText(err: unknown, fallback: string): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'content_rejected':
      return '内容含有违规信息';
    case 'forbidden':
      return '你已不在该会话中或已被禁言';
    case 'too_large':
      return '文件太大';
    case 'unsupported_media':
      return '不支持的文件类型';
    case 'rate_limited':
      return '操作太频繁，请稍后再试';
    case 'not_found':
      return '内容不存在或已删除';
    default:
      return fallback;
  }
}
