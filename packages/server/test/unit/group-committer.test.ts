import { describe, expect, it } from 'vitest';
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
