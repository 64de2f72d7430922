/**
 * Gives back the heap V8 grew during start-up. Loading and wiring the server allocates tens of MB
 * of short-lived objects (module evaluation, route tables, schemas), and V8 answers by growing its
 * young generation to 16 MB and keeping it: an idle node held ≈ 12 MB of empty new space and a few
 * MB of dead old space (docs/benchmarks.md, "Production node memory"). V8 shrinks them only in a
 * memory-reducing GC, which its memory reducer runs about 8 s after a full GC — on Node 20 start-up
 * usually has one, on Node 24 it has none, so the slack stayed for good.
 *
 * Once, after `listen`: one memory-reducing full GC (the `last-resort` flavour of V8's gc(), Node ≥ 22)
 * — tens of ms, before any client is there — or on older V8s a full GC that starts the memory reducer.
 * The young generation grows again under load as usual; this only drops what start-up left behind.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor?: 'regular' | 'last-resort' }) => void;

/** V8's gc() function, without starting node with --expose-gc (the flag applies to contexts made from now on). */
function exposedGc(): Gc {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Gc;
}

export function releaseStartupHeap(nodeMajor = Number(process.versions.node.split('.')[0])): void {
  const gc = exposedGc();
  if (nodeMajor >= 22) gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  else gc();
}
