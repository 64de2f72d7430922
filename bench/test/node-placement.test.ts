/** How the cluster targets map users to nodes (bench-client.ts `nodeIndex`, target `placement`). */
import { describe, expect, it } from 'vitest';
import { nodeIndex } from '../gen/bench-client.js';
import { TARGETS } from '../lib/targets.js';

const pairs = Array.from({ length: 50 }, (_, k) => [`da${k}`, `db${k}`] as const);

describe('cluster node placement', () => {
  it('split (miniim-cluster): the two ends of every direct pair on different nodes of two', () => {
    expect(TARGETS['miniim-cluster'].placement ?? 'split').toBe('split');
    for (const [a, b] of pairs) expect(nodeIndex(a, 2)).not.toBe(nodeIndex(b, 2));
  });

  it('pair (miniim-cluster-colocated): both ends on one node, half of the pairs on each', () => {
    const t = TARGETS['miniim-cluster-colocated'];
    expect(t).toMatchObject({ nodes: 2, database: 'postgres', placement: 'pair', env: TARGETS['miniim-cluster'].env });
    const onNode = [0, 0];
    for (const [a, b] of pairs) {
      expect(nodeIndex(a, 2, 'pair')).toBe(nodeIndex(b, 2, 'pair'));
      onNode[nodeIndex(a, 2, 'pair')]!++;
    }
    expect(onNode).toEqual([25, 25]);
    // Ids without a number (none in the direct scenario) fall back to the character-code sum.
    expect(nodeIndex('alice', 2, 'pair')).toBe(nodeIndex('alice', 2));
  });
});
