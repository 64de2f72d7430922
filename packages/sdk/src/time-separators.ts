/**
 * Returns the indexes of the messages that should show a timestamp above them: the
 * first one, and every one sent more than `gapMs` after the message before it
 * ("show a time when more than a minute passed").
 */
export function timeSeparators(messages: ReadonlyArray<{ ts: number }>, gapMs = 60_000): number[] {
  const out: number[] = [];
  for (let i = 0; i < messages.length; i++) {
    if (i === 0 || messages[i].ts - messages[i - 1].ts > gapMs) out.push(i);
  }
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The time shown above a run of messages, in the Chinese style WeChat uses: "14:05"
 * today, "昨天 14:05", "3月8日 14:05", and "2023年3月8日 14:05" in another year (local time).
 */
export function formatTime(ts: number, now = Date.now()): string {
  if (!ts) return '';
  const d = new Date(ts);
  const n = new Date(now);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();
  if (sameDay(d, n)) return hm;
  if (sameDay(d, new Date(now - 86_400_000))) return `昨天 ${hm}`;
  const md = `${d.getMonth() + 1}月${d.getDate()}日`;
  return d.getFullYear() === n.getFullYear() ? `${md} ${hm}` : `${d.getFullYear()}年${md} ${hm}`;
}
