/** The long-press menu of a chat row: copy (a privacy API) and recall (own messages in the window, admins in groups). */
import { type AppWx, toast } from '../../lib/app-wx.js';
import type { ChatItem } from './chat-items.js';

/** Default recall window (protocol default: 120 s). */
export const RECALL_WINDOW_MS = 120_000;

/** Menu entries for a row ("复制", "撤回"); none for uploads, recalled and system rows. */
export function menuEntries(item: ChatItem | undefined, me: string, groupAdmin: boolean, now = Date.now()): string[] {
  if (!item || 'file' in item.msg || item.msg.recalled || item.msg.kind === 'system') return [];
  const m = item.msg;
  const out: string[] = [];
  if (m.kind === 'text') out.push('复制');
  const own = m.from === me && m.status === 'sent' && now - m.ts < RECALL_WINDOW_MS;
  if (m.seq > 0 && (own || groupAdmin)) out.push('撤回');
  return out;
}

/** `wx.showActionSheet` with the entries; runs the chosen one. */
export function showMenu(wx: AppWx, entries: string[], run: (action: string | undefined) => Promise<void>): Promise<void> {
  if (!entries.length) return Promise.resolve();
  return new Promise((resolve) => {
    wx.showActionSheet({
      itemList: entries,
      success: (res) => {
        void run(entries[res.tapIndex]).then(resolve);
      },
      fail: () => resolve(),
    });
  });
}

/** `wx.setClipboardData` (held by the privacy agreement; a refusal is explained). */
export function copyText(wx: AppWx, text: string): Promise<void> {
  return new Promise((resolve) => {
    wx.setClipboardData({
      data: text,
      success: () => resolve(),
      fail: () => {
        toast(wx, '需要同意隐私保护指引才能复制');
        resolve();
      },
    });
  });
}
