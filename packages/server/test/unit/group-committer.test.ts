import { describe, expect, it, vi } from 'vitest';
import { GroupCommitter } from '../../src/core/group-committer.js';
import type { AppendOptions, AppendResult, MessageRepo, NewMessage } from '../../src/storage/storage.js';

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

describe('GroupCommitter commit delay', () => {
  /** A repository that commits at once (after a turn), with seq = the message's number; `fail` throws instead. */
  function quickRepo(opts: { appendDelayMs?: number; appendDelayUpTo?: number; appendDelaySiblings?: number } = {}) {
    const batches: number[] = [];
    const streams: boolean[] = [];
    const state = { fail: false };
    const repo = {
      appendConcurrency: 16,
      appendOverlapMin: 64,
      ...opts,
      async appendMessages(items: readonly NewMessage[], o?: AppendOptions): Promise<AppendResult[]> {
        batches.push(items.length);
        streams.push(o?.stream === true);
        await nextTurn();
        if (state.fail) throw new Error('disk full');
        return items.map((it) => ({ ok: true, duplicate: false, msg: { ...it, seq: Number(it.id.slice(1)) } as never }));
      },
    } as unknown as MessageRepo;
    return { repo, batches, streams, state };
  }

  /** Appends `count` messages numbered from `from`, `gapMs` of (fake) time apart, a turn between them. */
  async function stream(c: GroupCommitter, from: number, count: number, gapMs: number) {
    const all: Promise<AppendResult>[] = [];
    for (let i = from; i < from + count; i++) {
      all.push(c.append(item(i)));
      await nextTurn();
      await nextTurn();
      vi.advanceTimersByTime(gapMs);
    }
    return all;
  }

  /** Lets `ms` of (fake) time pass, 1 ms per turn, so that what a timer schedules runs at its time. */
  async function pass(ms: number) {
    for (let i = 0; i < ms; i++) {
      vi.advanceTimersByTime(1);
      await nextTurn();
      await nextTurn();
    }
  }

  /**
   * A stream of `count` messages `gapMs` apart through a committer (`delayMs`, else the repository's) on a
   * quick repository; returns the sizes of its last `last` batches before the final flush.
   */
  async function streamBatches(repoOpts: Parameters<typeof quickRepo>[0], delayMs: number | undefined, count: number, gapMs: number, last: number) {
    const q = quickRepo(repoOpts);
    const c = new GroupCommitter(q.repo, { delayMs });
    const all = await stream(c, 0, count, gapMs);
    await pass(delayMs ?? repoOpts?.appendDelayMs ?? 0);
    await c.flush();
    await Promise.all(all);
    return q.batches.slice(-last - 1, -1);
  }

  const fake = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'performance', 'Date'] });

  it('commits a lone message on an idle server at once, with no timer', async () => {
    fake();
    try {
      const { repo, batches } = quickRepo({ appendDelayMs: 10 });
      const c = new GroupCommitter(repo);
      const r = c.append(item(1));
      await nextTurn();
      expect(batches).toEqual([1]); // no time has passed
      expect(vi.getTimerCount()).toBe(0);
      expect((await r).ok).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('engages under a steady stream, never waits longer than the delay, and keeps the order', async () => {
    fake();
    try {
      const waits: number[] = [];
      const { repo, batches, streams } = quickRepo({ appendDelayMs: 10, appendDelayUpTo: 100 });
      const c = new GroupCommitter(repo, { stats: { queue: (ms) => waits.push(ms), total() {} } });
      // 1 message per ms: 10 predicted within the delay, far over the 2 siblings needed once the mean gap has settled.
      const all = await stream(c, 0, 120, 1);
      await pass(10);
      await c.flush();
      const results = await Promise.all(all);
      expect(results.map((r) => r.ok && r.msg.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i));
      expect(batches[0]).toBe(1); // before the stream is known: at once
      expect(batches.slice(-6, -1).every((n) => n >= 9)).toBe(true); // then about 10 ms of arrivals per batch
      expect(Math.max(...waits)).toBeLessThanOrEqual(10);
      // The stream's batches tell the repository that more follow (SQLite: fsync off the loop).
      expect(streams[0]).toBe(false);
      expect(streams.slice(-5).every(Boolean)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends the wait as soon as the batch holds delayUpTo messages', async () => {
    fake();
    try {
      const { repo, batches } = quickRepo({ appendDelayMs: 50, appendDelayUpTo: 8 });
      const c = new GroupCommitter(repo);
      // 1 message per 20 ms: 2.5 predicted within the delay, in the band (>= 2, < 8 / 2): batches wait.
      const all = await stream(c, 0, 60, 20);
      expect(batches.slice(-5).some((n) => n > 1)).toBe(true); // the stream's batches wait
      batches.length = 0;
      // A burst: the batch goes as soon as it holds 8, long before the 50 ms deadline.
      for (let i = 60; i < 70; i++) all.push(c.append(item(i)));
      await nextTurn();
      expect(batches[0]).toBeGreaterThanOrEqual(8);
      expect(vi.getTimerCount()).toBe(0);
      await c.flush();
      await Promise.all(all);
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits only in the band: fewer than delayUpTo / 2 predicted within the delay, at least delaySiblings', async () => {
    fake();
    try {
      // D = 20 ms, N = 8, K = 2: a batch waits while the mean gap is in (2 * 20 / 8, 20 / 2] = (5, 10] ms.
      const fast = quickRepo({ appendDelayMs: 20, appendDelayUpTo: 8 });
      const cf = new GroupCommitter(fast.repo);
      // 1 ms apart: 20 predicted, over N / 2 = 4: what arrives during a commit already makes a batch; no wait.
      const f = await stream(cf, 0, 200, 1);
      expect(vi.getTimerCount()).toBe(0);
      await cf.flush();
      await Promise.all(f);
      // Once the mean gap has settled (it passes through the band on its way down from idle), each message
      // goes at the end of its turn; the repository is still told that more follow.
      expect(fast.batches.slice(-150).every((n) => n === 1)).toBe(true);
      expect(fast.streams.slice(-150).every(Boolean)).toBe(true);

      const band = quickRepo({ appendDelayMs: 20, appendDelayUpTo: 8 });
      const cb = new GroupCommitter(band.repo);
      // 8 ms apart: 2.5 predicted, in the band: the batches wait for company.
      const b = await stream(cb, 0, 100, 8);
      await pass(20);
      await cb.flush();
      await Promise.all(b);
      expect(band.batches[0]).toBe(1); // before the stream is known: at once
      expect(band.batches.slice(-5, -1).every((n) => n >= 3)).toBe(true); // 20 ms of arrivals each
      expect(band.streams.slice(-5, -1).every(Boolean)).toBe(true);

      // Then a pause, and a lone message goes at once, with no timer.
      vi.advanceTimersByTime(1000);
      band.batches.length = 0;
      const r = cb.append(item(1000));
      await nextTurn();
      expect(band.batches).toEqual([1]);
      expect(vi.getTimerCount()).toBe(0);
      await r;
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps the repository's band, a range of rates, when another delay is set, and takes its sibling count", async () => {
    fake();
    try {
      // The repository: D = 20 ms, N = 8, K = 2, so a batch waits while the mean gap is in (5, 10] ms. Set to
      // D = 40 ms, N and K scale to 16 and 4: the same (5, 10] ms (unscaled it would be (10, 20] ms).
      const repoBand = { appendDelayMs: 20, appendDelayUpTo: 8, appendDelaySiblings: 2 };
      const run = (gapMs: number) => streamBatches(repoBand, 40, 150, gapMs, 9);
      // 8 ms apart, in the band: each batch holds about 40 ms of arrivals.
      expect((await run(8)).every((n) => n >= 4)).toBe(true);
      // 12 ms apart, slower than the band (unscaled, this one would wait): at once.
      expect((await run(12)).every((n) => n === 1)).toBe(true);
      // The repository's K alone: 3 predicted within 20 ms at 7 ms apart, under K = 4, so no wait.
      expect((await streamBatches({ ...repoBand, appendDelaySiblings: 4 }, undefined, 150, 7, 9)).every((n) => n === 1)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives a repository with no delay of its own the default band at 1 ms, scaled to the delay set', async () => {
    fake();
    try {
      // No appendDelayMs: K = 2 and N = 8 at 1 ms, so at D = 20 ms K = 40 and N = 160, and a batch waits while the
      // mean gap is in (2 * 20 / 160, 20 / 40] = (0.25, 0.5] ms (unscaled it would be (5, 10] ms).
      const run = (gapMs: number) => streamBatches({}, 20, 400, gapMs, 5);
      // 0.4 ms apart, in the scaled band: each batch holds about 20 ms of arrivals.
      expect((await run(0.4)).every((n) => n >= 20)).toBe(true);
      // 8 ms apart, in the unscaled band but slower than the scaled one: at once.
      expect((await run(8)).every((n) => n === 1)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('commits the first message after a pause at once, and stays off with a delay of 0', async () => {
    fake();
    try {
      const { repo, batches } = quickRepo({ appendDelayMs: 10, appendDelayUpTo: 100 });
      const c = new GroupCommitter(repo);
      const first = await stream(c, 0, 100, 1);
      await pass(20);
      await Promise.all(first);
      vi.advanceTimersByTime(200);
      await c.flush();
      batches.length = 0;
      const r = c.append(item(1000));
      await nextTurn();
      expect(batches).toEqual([1]);
      expect(vi.getTimerCount()).toBe(0);
      await r;

      const off = quickRepo({ appendDelayMs: 10, appendDelayUpTo: 100 });
      const c0 = new GroupCommitter(off.repo, { delayMs: 0 });
      await Promise.all(await stream(c0, 0, 100, 1));
      expect(off.batches.every((n) => n === 1)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flush() commits a waiting batch without waiting for the delay', async () => {
    fake();
    try {
      const { repo, batches } = quickRepo({ appendDelayMs: 1000, appendDelayUpTo: 1000 });
      const c = new GroupCommitter(repo);
      const all = await stream(c, 0, 100, 10); // 100 predicted: in the band (>= 2, < 500)
      const before = batches.length;
      expect(vi.getTimerCount()).toBe(1); // a batch is waiting
      await c.flush();
      expect(batches.length).toBe(before + 1);
      expect((await Promise.all(all)).every((r) => r.ok)).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('resolves every caller of a delayed batch whose commit failed', async () => {
    fake();
    try {
      const { repo, state } = quickRepo({ appendDelayMs: 10, appendDelayUpTo: 100 });
      const c = new GroupCommitter(repo);
      const ok = await stream(c, 0, 100, 1);
      await pass(10);
      await Promise.all(ok);
      state.fail = true;
      const all = await stream(c, 100, 30, 1);
      await pass(10);
      const results = await Promise.all(all);
      expect(results.every((r) => !r.ok && r.error.message === 'disk full')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
