/**
 * The bus contract: one suite, parameterised by a factory, run against every bus. A
 * factory makes `n` nodes on one shared backend; the in-process bus has a single node, so
 * the cross-node cases run for the buses that serve several (`maxNodes` > 1).
 */
import { describe, expect, it } from 'vitest';
import type { Bus, BusEvent, Delivery } from '../../src/cluster/bus.js';

/** Makes `n` nodes sharing one backend, closed after the test. */
export type BusFactory = (n: number) => Promise<Bus[]>;

/** Resolves when `pred` holds, polling; rejects after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function busContract(name: string, nodes: BusFactory, opts: { skip?: boolean; maxNodes: number }): void {
  describe.skipIf(opts.skip)(`bus contract: ${name}`, () => {
    it('delivers a publish to this node at once, payload untouched, except-session kept', async () => {
      const [a] = await nodes(1);
      const got: Delivery[] = [];
      a!.onDelivery((d) => got.push(d));
      const payload = JSON.stringify({ op: 'msg', text: 'line\nbreak \u2028 表情😀' });
      a!.publish({ userIds: ['u1', 'u2'], payload, exceptSessionId: 's1' });
      expect(got).toEqual([{ userIds: ['u1', 'u2'], payload, exceptSessionId: 's1' }]);
      expect(got[0]!.remote).toBeUndefined();
    });

    it('presence: online after the first local session, offline after the last, events once each', async () => {
      const [a] = await nodes(1);
      const events: Array<[string, boolean]> = [];
      a!.onPresence((u, on) => events.push([u, on]));
      a!.setLocalOnline('p1', true);
      await until(async () => (await a!.isOnline(['p1'])).get('p1') === true);
      expect(await a!.isOnline(['p1', 'nobody'])).toEqual(
        new Map([
          ['p1', true],
          ['nobody', false],
        ]),
      );
      await until(() => events.length === 1);
      a!.setLocalOnline('p1', false);
      await until(async () => (await a!.isOnline(['p1'])).get('p1') === false);
      await until(() => events.length === 2);
      expect(events).toEqual([
        ['p1', true],
        ['p1', false],
      ]);
      await a!.ping();
    });

    it('reports this node’s load from its source', async () => {
      const [a] = await nodes(1);
      a!.setLoadSource(() => ({ sockets: 3, users: 2 }));
      const [mine, ...rest] = await a!.nodeLoads();
      expect(mine).toMatchObject({ sockets: 3, users: 2 });
      expect(typeof mine!.node).toBe('string');
      expect(rest).toEqual([]);
    });

    // The in-process bus is one node: there is no other node to deliver to.
    if (opts.maxNodes < 3) return;
    describe('across nodes', () => {
      it('user- and group-addressed deliveries reach the other node in publish order, except-session kept', async () => {
        const [a, b] = await nodes(2);
        const got: Delivery[] = [];
        b!.onDelivery((d) => got.push(d));
        const sent: Delivery[] = [];
        for (let i = 0; i < 50; i++) {
          const d: Delivery =
            i % 2 ? { userIds: ['x', 'y', 'z'], payload: JSON.stringify({ i, s: '\n' }) } : { userIds: ['x'], payload: `{"i":${i}}`, exceptSessionId: 'sx' };
          sent.push(d);
          a!.publish(d);
        }
        await until(() => got.length === 50);
        // Marked as from another node (the gateway may hold such a push for its socket's pending ack).
        expect(got).toEqual(sent.map((d) => ({ ...d, remote: true })));
      });

      it('presence of a user on one node is seen by the other; events reach its watchers', async () => {
        const [a, b] = await nodes(2);
        const seen: Array<[string, boolean]> = [];
        b!.onPresence((u, on) => seen.push([u, on]));
        a!.setLocalOnline('w1', true);
        await until(async () => (await b!.isOnline(['w1'])).get('w1') === true);
        await until(() => seen.length === 1);
        // Online on both nodes, then gone from one: still online, no offline event.
        b!.setLocalOnline('w1', true);
        a!.setLocalOnline('w1', false);
        await new Promise((r) => setTimeout(r, 100));
        expect((await a!.isOnline(['w1'])).get('w1')).toBe(true);
        b!.setLocalOnline('w1', false);
        await until(async () => (await a!.isOnline(['w1'])).get('w1') === false);
        await until(() => seen.length === 2);
        expect(seen).toEqual([
          ['w1', true],
          ['w1', false],
        ]);
      });

      it('a crowd of sockets opening and closing in one turn (a reconnect wave): every user online, then offline, one event each', async () => {
        const [a, b] = await nodes(2);
        const seen: Array<[string, boolean]> = [];
        b!.onPresence((u, on) => seen.push([u, on]));
        const users = Array.from({ length: 300 }, (_, i) => `crowd${i}`);
        for (const u of users) a!.setLocalOnline(u, true);
        // One user comes and goes within the same turn: its steps keep their order.
        a!.setLocalOnline('flicker', true);
        a!.setLocalOnline('flicker', false);
        await until(async () => [...(await b!.isOnline(users)).values()].every(Boolean));
        await until(() => seen.length >= users.length + 2);
        expect((await b!.isOnline(['flicker'])).get('flicker')).toBe(false);
        for (const u of users) a!.setLocalOnline(u, false);
        await until(async () => ![...(await b!.isOnline(users)).values()].some(Boolean));
        await until(() => seen.length >= 2 * users.length + 2);
        await new Promise((r) => setTimeout(r, 100));
        expect(seen.filter(([u]) => u.startsWith('crowd'))).toHaveLength(2 * users.length);
        expect(seen.filter(([u]) => u === 'flicker')).toEqual([
          ['flicker', true],
          ['flicker', false],
        ]);
      });

      it('every node sees every live node’s load; a closed node drops out', async () => {
        const [a, b] = await nodes(2);
        a!.setLoadSource(() => ({ sockets: 5, users: 4 }));
        b!.setLoadSource(() => ({ sockets: 7, users: 6 }));
        await until(async () => (await a!.nodeLoads()).some((l) => l.sockets === 7), 5000);
        const loads = await a!.nodeLoads();
        expect(loads.map((l) => [l.sockets, l.users])).toEqual([
          [5, 4],
          [7, 6],
        ]);
        await b!.close();
        expect((await a!.nodeLoads()).map((l) => l.sockets)).toEqual([5]);
      });

      it('events reach the other nodes, not the publisher', async () => {
        const three = await nodes(3);
        const got: BusEvent[][] = three.map(() => []);
        three.forEach((n, i) => {
          n.onEvent((e) => got[i]!.push(e));
        });
        three[0]!.broadcast({ type: 'group_changed', groupId: 'g1' });
        await until(() => got[1]!.length === 1 && got[2]!.length === 1);
        await new Promise((r) => setTimeout(r, 50));
        expect(got).toEqual([[], [{ type: 'group_changed', groupId: 'g1' }], [{ type: 'group_changed', groupId: 'g1' }]]);
      });
    });
  });
}
