import type { Msg } from '@miniim/protocol';
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../src/store.js';
import { timeSeparators } from '../src/time-separators.js';

const msg = (seq: number, from = 'bob', extra: Partial<Msg> = {}): Msg => ({
  id: `m${seq}`,
  conv: 'd:alice:bob',
  seq,
  from,
  kind: 'text',
  body: { text: `t${seq}` },
  ts: 1000 * seq,
  ...extra,
});

describe('ConversationStore', () => {
  it('dedupes by id, orders by seq, counts unread from others only', () => {
    const s = new ConversationStore();
    s.me = 'alice';
    s.addMessages('d:alice:bob', [msg(2), msg(1), msg(2)]);
    s.addMessages('d:alice:bob', [msg(3, 'alice'), msg(4)]);
    expect(s.messages('d:alice:bob').map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    // Sending at seq 3 implies reading 1..3; only 4 is unread.
    expect(s.get('d:alice:bob')).toMatchObject({ lastSeq: 4, readSeq: 3, unread: 1 });
    expect(s.get('d:alice:bob')?.lastMessage?.seq).toBe(4);
  });

  it('tracks the contiguous head for gap detection', () => {
    const s = new ConversationStore();
    s.me = 'alice';
    s.addMessages('d:alice:bob', [msg(1), msg(2)], true);
    expect(s.syncedSeq('d:alice:bob')).toBe(2);
    s.addMessages('d:alice:bob', [msg(5)]);
    expect(s.syncedSeq('d:alice:bob')).toBe(2);
    s.addMessages('d:alice:bob', [msg(3), msg(4)]);
    expect(s.syncedSeq('d:alice:bob')).toBe(5);
  });

  it('treats the server as the truth: a cache ahead of the server is dropped', () => {
    const s = new ConversationStore();
    s.me = 'alice';
    s.addMessages('d:alice:bob', [msg(1), msg(2), msg(3)], true);
    s.applyConv({ conv: 'd:alice:bob', kind: 'direct', lastSeq: 1, readSeq: 0, unread: 1, updatedAt: 5, lastMessage: msg(1) });
    expect(s.messages('d:alice:bob')).toEqual([]);
    expect(s.syncedSeq('d:alice:bob')).toBeUndefined();
    expect(s.get('d:alice:bob')).toMatchObject({ lastSeq: 1, unread: 1 });
  });

  it('a message pushed while a listing was on its way is newer than the listing, not a reset server', () => {
    const s = new ConversationStore();
    s.me = 'alice';
    s.addMessages('d:alice:bob', [msg(1), msg(2)], true);
    const heads = s.heads(); // the listing is requested here (head 2) …
    s.addMessages('d:alice:bob', [msg(3)]); // … a push of seq 3 is handled before its reply
    s.applyConv({ conv: 'd:alice:bob', kind: 'direct', lastSeq: 2, readSeq: 0, unread: 2, updatedAt: 5, lastMessage: msg(2) }, heads);
    expect(s.messages('d:alice:bob').map((m) => m.seq)).toEqual([1, 2, 3]);
    // Held before the request and still ahead of the listing: the server was reset.
    s.applyConv({ conv: 'd:alice:bob', kind: 'direct', lastSeq: 1, readSeq: 0, unread: 1, updatedAt: 5, lastMessage: msg(1) }, s.heads());
    expect(s.messages('d:alice:bob')).toEqual([]);
  });

  it('applies recalls and read pushes; round-trips a snapshot', () => {
    const s = new ConversationStore();
    s.me = 'alice';
    s.addMessages('d:alice:bob', [msg(1), msg(2)], true);
    s.applyRecall('d:alice:bob', 2, 'bob', 99);
    expect(s.messages('d:alice:bob')[1]).toMatchObject({ body: {}, recalled: { by: 'bob', ts: 99 } });
    s.applyRead('d:alice:bob', 'alice', 2);
    expect(s.get('d:alice:bob')).toMatchObject({ readSeq: 2, unread: 0 });
    s.applyRead('d:alice:bob', 'bob', 1);
    expect(s.get('d:alice:bob')?.peerReadSeq).toBe(1);
    const copy = new ConversationStore();
    copy.me = 'alice';
    expect(copy.restore(JSON.parse(JSON.stringify(s.snapshot())))).toBe(true);
    expect(copy.messages('d:alice:bob').map((m) => m.seq)).toEqual([1, 2]);
    expect(copy.syncedSeq('d:alice:bob')).toBe(2);
    const other = new ConversationStore();
    other.me = 'mallory';
    expect(other.restore(s.snapshot())).toBe(false);
  });
});

describe('timeSeparators', () => {
  it('marks the first message and every gap over a minute', () => {
    expect(timeSeparators([{ ts: 0 }, { ts: 30_000 }, { ts: 90_001 }, { ts: 150_001 }, { ts: 300_000 }])).toEqual([0, 2, 4]);
    expect(timeSeparators([{ ts: 0 }, { ts: 10_000 }], 5_000)).toEqual([0, 1]);
    expect(timeSeparators([])).toEqual([]);
  });
});
