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
