import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { releaseStartupHeap } from '../../src/startup-heap.js';

const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

describe('releaseStartupHeap', () => {
  it.runIf(NODE_MAJOR >= 22)('shrinks the young generation that a burst of short-lived objects grew', () => {
    // What start-up does: MBs of objects, many surviving a scavenge or two, then dropped.
    let keep: unknown[] = [];
    for (let i = 0; i < 400_000; i++) {
      keep.push({ i, s: `item ${i}` });
      if (keep.length > 100_000) keep = [];
    }
    keep = [];
    const grown = newSpace();
    expect(grown).toBeGreaterThan(2 * 1024 * 1024);
    releaseStartupHeap();
    expect(newSpace()).toBeLessThan(grown / 2);
  });

  it('runs a full GC on older V8s without --expose-gc in the process flags', () => {
    expect(process.execArgv).not.toContain('--expose-gc');
    expect(() => releaseStartupHeap(20)).not.toThrow();
  });
});
