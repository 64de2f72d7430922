import { describe, expect, it, vi } from 'vitest';
import { GroupCommitter } from '../../src/core/group-committer.js';
import type { AppendResult, MessageRepo, NewMessage } from '../../src/storage/storage.js';

function fakeRepo(fail = false) {
  const batches: number[] = [];
  const repo = {
    async appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]> {
      batches.push(items.length);
      if (fail) throw new Error('disk full');
      return items.map((it, i) => ({ ok: true, duplicate: false, msg: { ...it, seq: i + 1 } as never }));
    },
  } as unknown as MessageRepo;
  return { repo, batches };
}

const item = (i: number): NewMessage => ({ id: `m${i}`, conv: 'd:a:b', members: ['a', 'b'], from: 'a', kind: 'text', body: { text: '' }, ts: 0 });

describe('GroupCommitter', () => {
  it('commits what arrives in one turn as one batch, and the next turn as another', async () => {
    const { repo, batches } = fakeRepo();
    const c = new GroupCommitter(repo);
    const first = Array.from({ length: 100 }, (_, i) => c.append(item(i)));
    await Promise.all(first);
    await Promise.all([c.append(item(100)), c.append(item(101))]);
    expect(batches).toEqual([100, 2]);
  });

  it('caps a batch at maxBatch', async () => {
    const { repo, batches } = fakeRepo();
    const c = new GroupCommitter(repo, { maxBatch: 30 });
    await Promise.all(Array.from({ length: 70 }, (_, i) => c.append(item(i))));
    expect(batches).toEqual([30, 30, 10]);
  });

  it('fails every item of a batch whose transaction failed, and keeps working', async () => {
    const { repo } = fakeRepo(true);
    const c = new GroupCommitter(repo);
    const r = await Promise.all([c.append(item(1)), c.append(item(2))]);
    expect(r.every((x) => !x.ok && x.error.message === 'disk full')).toBe(true);
    await c.flush();
  });
});

describe('GroupCommitter with a pipelining repository', () => {
  it('keeps several batches in flight and resolves them in the order they were taken', async () => {
    const started: number[] = [];
    const finish: Array<() => void> = [];
    const repo = {
      appendConcurrency: 3,
      async appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]> {
        started.push(items.length);
        await new Promise<void>((r) => finish.push(r));
        return items.map((it) => ({ ok: true, duplicate: false, msg: { ...it, seq: Number(it.id.slice(1)) } as never }));
      },
    } as unknown as MessageRepo;
    const c = new GroupCommitter(repo);
    const order: number[] = [];
    const all: Promise<unknown>[] = [];
    for (let turn = 0; turn < 4; turn++) {
      for (let i = 0; i < 2; i++) all.push(c.append(item(turn * 2 + i)).then((r) => r.ok && order.push(r.msg.seq)));
      await new Promise((r) => setImmediate(r));
    }
    // Three batches started without waiting for the first; the fourth waits for a free slot.
    expect(started).toEqual([2, 2, 2]);
    for (const f of finish.splice(0)) f();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([2, 2, 2, 2]);
    for (const f of finish.splice(0)) f();
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

/** A repository whose appends wait until the test lets them finish. */
function gatedRepo(opts: { appendConcurrency?: number; appendOverlapMin?: number } = {}) {
  const started: number[] = [];
  const finish: Array<() => void> = [];
  const repo = {
    ...opts,
    async appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]> {
      started.push(items.length);
      await new Promise<void>((r) => finish.push(r));
      return items.map((it) => ({ ok: true, duplicate: false, msg: { ...it, seq: Number(it.id.slice(1)) } as never }));
    },
  } as unknown as MessageRepo;
  const releaseAll = () => {
    for (const f of finish.splice(0)) f();
  };
  return { repo, started, releaseAll };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('GroupCommitter batching rules', () => {
  it('commits a lone message on an idle committer at the end of the turn, with no timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'performance', 'Date'] });
    try {
      const { repo, started, releaseAll } = gatedRepo({ appendConcurrency: 16, appendOverlapMin: 64 });
      const c = new GroupCommitter(repo);
      const r = c.append(item(1));
      expect(started).toEqual([]); // not inside append itself: the rest of this turn may add to it
      await nextTurn();
      expect(started).toEqual([1]); // no timer was advanced
      expect(vi.getTimerCount()).toBe(0);
      releaseAll();
      expect((await r).ok).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('merges what arrives over several turns while a batch is in flight into one batch', async () => {
    const { repo, started, releaseAll } = gatedRepo({ appendConcurrency: 16, appendOverlapMin: 64 });
    const c = new GroupCommitter(repo);
    const all = [c.append(item(0))];
    await nextTurn();
    expect(started).toEqual([1]);
    for (let turn = 0; turn < 5; turn++) {
      all.push(c.append(item(1 + turn * 2)), c.append(item(2 + turn * 2)));
      await nextTurn();
    }
    // Five turns of arrivals, each below the overlap minimum: nothing new started.
    expect(started).toEqual([1]);
    releaseAll();
    await nextTurn();
    await nextTurn();
    expect(started).toEqual([1, 10]);
    releaseAll();
    const results = await Promise.all(all);
    expect(results.map((r) => r.ok && r.msg.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i));
  });

  it('starts a second batch during one in flight once the backlog reaches the overlap minimum', async () => {
    const { repo, started, releaseAll } = gatedRepo({ appendConcurrency: 3, appendOverlapMin: 4 });
    const c = new GroupCommitter(repo);
    const all = [c.append(item(0))];
    await nextTurn();
    all.push(c.append(item(1)), c.append(item(2)), c.append(item(3)));
    await nextTurn();
    expect(started).toEqual([1]); // 3 waiting < 4
    all.push(c.append(item(4)));
    await nextTurn();
    expect(started).toEqual([1, 4]); // the backlog went while the first is in flight
    for (let i = 5; i < 13; i++) all.push(c.append(item(i)));
    await nextTurn();
    expect(started).toEqual([1, 4, 8]); // third slot
    for (let i = 13; i < 20; i++) all.push(c.append(item(i)));
    await nextTurn();
    expect(started).toEqual([1, 4, 8]); // every slot taken: the rest waits
    releaseAll();
    await nextTurn();
    await nextTurn();
    expect(started).toEqual([1, 4, 8, 7]);
    releaseAll();
    const results = await Promise.all(all);
    expect(results.map((r) => r.ok && r.msg.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('without an overlap minimum (the default), starts a batch per turn while slots are free', async () => {
    const { repo, started, releaseAll } = gatedRepo({ appendConcurrency: 2 });
    const c = new GroupCommitter(repo);
    const all = [c.append(item(0))];
    await nextTurn();
    all.push(c.append(item(1)));
    await nextTurn();
    expect(started).toEqual([1, 1]);
    releaseAll();
    await Promise.all(all);
  });

  it('reports per-batch queue and total times when given stats', async () => {
    const queue: number[] = [];
    const total: number[] = [];
    const { repo, releaseAll } = gatedRepo();
    const c = new GroupCommitter(repo, { stats: { queue: (ms) => queue.push(ms), total: (ms) => total.push(ms) } });
    const r = Promise.all([c.append(item(0)), c.append(item(1))]);
    await nextTurn();
    await new Promise((res) => setTimeout(res, 5));
    releaseAll();
    await r;
    expect(queue).toHaveLength(1);
    expect(total).toHaveLength(1);
    expect(total[0]!).toBeGreaterThanOrEqual(4);
    expect(queue[0]!).toBeLessThan(total[0]!);
  });
});

describe('GroupCommitter with appendDisjointConvs', () => {
  const inConv = (i: number, conv: string): NewMessage => ({ ...item(i), conv });

  it('keeps a conversation out of a second batch while it is in one in flight, and sends the others at once', async () => {
    const { repo, started, releaseAll } = gatedRepo({ appendConcurrency: 2 });
    const batches: string[][] = [];
    const inner = repo.appendMessages.bind(repo);
    repo.appendMessages = (items) => {
      batches.push(items.map((it) => `${it.conv}/${it.id}`));
      return inner(items);
    };
    const c = new GroupCommitter(repo, { disjointConvs: true });
    const all = [c.append(inConv(0, 'A')), c.append(inConv(1, 'B'))];
    await nextTurn();
    all.push(c.append(inConv(2, 'A')), c.append(inConv(3, 'C')), c.append(inConv(4, 'B')), c.append(inConv(5, 'C')));
    await nextTurn();
    // A and B are in flight: only C's messages may go now.
    expect(batches).toEqual([
      ['A/m0', 'B/m1'],
      ['C/m3', 'C/m5'],
    ]);
    releaseAll();
    await nextTurn();
    await nextTurn();
    expect(batches[2]).toEqual(['A/m2', 'B/m4']);
    expect(started).toHaveLength(3);
    releaseAll();
    const results = await Promise.all(all);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('waits for a free conversation rather than start a batch below the overlap minimum', async () => {
    const { repo, started, releaseAll } = gatedRepo({ appendConcurrency: 2, appendOverlapMin: 2 });
    const c = new GroupCommitter(repo, { disjointConvs: true });
    const all = [c.append(inConv(0, 'A'))];
    await nextTurn();
    all.push(c.append(inConv(1, 'A')), c.append(inConv(2, 'A')), c.append(inConv(3, 'B')));
    await nextTurn();
    expect(started).toEqual([1]); // one of the three waiting may go: below the minimum of 2
    releaseAll();
    await nextTurn();
    await nextTurn();
    expect(started).toEqual([1, 3]);
    releaseAll();
    await Promise.all(all);
  });
});
