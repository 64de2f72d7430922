/**
 * `cluster` and `cluster-group`: MiniIM as 2 nodes on one PostgreSQL and one Redis, clients spread
 * over the nodes (bench-client.ts `nodeIndex`: the two ends of every direct pair on different
 * nodes; a group's members alternate), beside the same on one node, and Socket.IO 4 as 2 nodes
 * with `@socket.io/redis-adapter` and one PostgreSQL INSERT per message. The measurements are the
 * `direct` and `group` scenarios'; server CPU is summed over the nodes (the database's and Redis's
 * own CPU are not counted, for any target).
 */
import type { Goal, Scenario, TargetResult } from '../lib/scenario.js';
import { boundMet, round } from '../lib/scenario.js';
import { directScenario } from './direct.js';
import { groupScenario } from './group.js';

const metric = (results: TargetResult[], target: string, row: string, key: string) =>
  results.find((x) => x.target === target && !x.skipped)?.rows.find((r) => r.key === row)?.metrics[key] ?? null;

/** `a / b` as a goal: met when the ratio is at most (`max`) or at least (`min`) the bound. */
function ratioGoal(goal: string, a: number | null, b: number | null, bound: { max?: number; min?: number }): Goal {
  if (a == null || !b) return { goal, value: 'n/a', met: null, ratio: null, bound };
  const r = a / b;
  return { goal, value: `${round(r, 2)}×`, met: boundMet(r, bound), ratio: r, bound };
}

const SPREAD =
  ' Cluster targets run their nodes as separate processes on one fresh PostgreSQL database and one Redis key prefix; ' +
  'each client connects to the node its user id maps to (sum of character codes mod 2: `daK` and `dbK` of a pair ' +
  'land on different nodes, so every direct message crosses the bus). `miniim-cluster-colocated`, a control, maps by the ' +
  'pair number instead: both ends of a pair on one node, half the pairs on each, so no delivery needs the other node ' +
  '(each node still publishes every delivery on the one bus channel, and the other node reads and drops it). Server CPU per message is the CPU of all the ' +
  "target's nodes added up (not PostgreSQL's or Redis's). MiniIM runs with MINIIM_RATE_LIMITS=off, as in every " +
  'scenario (with limits on, each send also takes one token from the Redis bucket).';

export const clusterScenario: Scenario = {
  ...directScenario,
  name: 'cluster',
  title: 'Direct messages across 2 nodes',
  method:
    directScenario.method +
    SPREAD +
    ' Each target first runs the closed loop once right after its start (row `closed (cold start)`: its processes ' +
    'are still compiling their hot code, once per node); `closed` is the second run, and the open loop follows it.',
  targets: ['miniim-pg', 'miniim-pg-redis', 'miniim-cluster', 'socketio-pg', 'socketio-cluster'],
  ratios: [],
  chart: { metric: 'msgsPerSec', row: 'closed', label: 'max acked direct msgs/s, pairs split over 2 nodes (higher is better)' },
  // One open-loop level (50 % of each target's own closed-loop rate) keeps the run short. The first closed
  // loop on each fresh target is its own row (cold start): in it every process compiles its hot code
  // (V8's optimising compiler), once per node, so a 2-node target pays that twice for the same messages.
  run: (ctx) =>
    directScenario.run({
      ...ctx,
      opts: { ...ctx.opts, sizes: { ...ctx.opts.sizes, direct: { ...ctx.opts.sizes.direct, levels: [0.5], coldRow: true } } },
    }),
  goals(results) {
    const m = (t: string, k: string, row = 'closed') => metric(results, t, row, k);
    return [
      ratioGoal(
        '2 nodes: acked msgs/s ≥ 5× Socket.IO + redis-adapter + PostgreSQL (2 nodes)',
        m('miniim-cluster', 'msgsPerSec'),
        m('socketio-cluster', 'msgsPerSec'),
        {
          min: 5,
        },
      ),
      ratioGoal('2 nodes: server CPU per message ≤ 0.3× Socket.IO (2 nodes)', m('miniim-cluster', 'cpuUsPerMsg'), m('socketio-cluster', 'cpuUsPerMsg'), {
        max: 0.3,
      }),
      ratioGoal(
        'cross-node CPU per delivered message ≤ 1.3× one node (PostgreSQL, local bus)',
        m('miniim-cluster', 'cpuUsPerMsg'),
        m('miniim-pg', 'cpuUsPerMsg'),
        {
          max: 1.3,
        },
      ),
      ratioGoal(
        '(for reference) the same in the cold-start run (each node still compiling its hot code)',
        m('miniim-cluster', 'cpuUsPerMsg', 'closed (cold start)'),
        m('miniim-pg', 'cpuUsPerMsg', 'closed (cold start)'),
        { max: 1.3 },
      ),
      ratioGoal(
        '(for reference) one node on the Redis bus vs the local bus, CPU per message',
        m('miniim-pg-redis', 'cpuUsPerMsg'),
        m('miniim-pg', 'cpuUsPerMsg'),
        {
          max: 1.3,
        },
      ),
      // The control `miniim-cluster-colocated` (both ends of each pair on one node): two processes without crossing.
      ...(results.some((x) => x.target === 'miniim-cluster-colocated')
        ? [
            ratioGoal(
              '(for reference) 2 nodes, pairs on one node: CPU per message vs one node',
              m('miniim-cluster-colocated', 'cpuUsPerMsg'),
              m('miniim-pg', 'cpuUsPerMsg'),
              {},
            ),
            ratioGoal(
              '(for reference) 2 nodes, pairs split / pairs on one node: CPU per message (what crossing costs)',
              m('miniim-cluster', 'cpuUsPerMsg'),
              m('miniim-cluster-colocated', 'cpuUsPerMsg'),
              {},
            ),
          ]
        : []),
      // A before/after in one invocation (`miniim-cluster-base` with BENCH_BASELINE_DIR): lower CPU, higher rate is better.
      ...(results.some((x) => x.target === 'miniim-cluster-base')
        ? [
            ratioGoal(
              '(A/B) 2 nodes, this checkout / baseline checkout, CPU per message',
              m('miniim-cluster', 'cpuUsPerMsg'),
              m('miniim-cluster-base', 'cpuUsPerMsg'),
              {
                max: 1,
              },
            ),
            ratioGoal(
              '(A/B) 2 nodes, this checkout / baseline checkout, acked msgs/s',
              m('miniim-cluster', 'msgsPerSec'),
              m('miniim-cluster-base', 'msgsPerSec'),
              {
                min: 1,
              },
            ),
          ]
        : []),
    ];
  },
};

export const clusterGroupScenario: Scenario = {
  ...groupScenario,
  name: 'cluster-group',
  title: 'Group fan-out across 2 nodes',
  method: groupScenario.method + SPREAD,
  // The Socket.IO baseline keeps its groups in each node's own SQLite file: it cannot run groups on 2 nodes as written.
  targets: ['miniim-pg', 'miniim-cluster'],
  chart: { metric: 'delivPerSec', label: 'group deliveries/s, members over 2 nodes (higher is better)' },
  goals(results) {
    const one = results.find((x) => x.target === 'miniim-pg' && !x.skipped);
    return (one?.rows ?? []).map((row) =>
      ratioGoal(
        `group ${row.key}: cross-node CPU per delivery ≤ 1.3× one node`,
        metric(results, 'miniim-cluster', row.key, 'cpuUsPerDeliv'),
        row.metrics.cpuUsPerDeliv ?? null,
        { max: 1.3 },
      ),
    );
  },
};
