/** A stand-in for a `Page` instance: applies `setData` like the runtime (paths included) and records it. */
import type { ViewSink } from '../../lib/view.js';

export interface CapturedView<D extends object> extends ViewSink<D> {
  /** Every patch, in order. */
  patches: Array<Record<string, unknown>>;
}

function setPath(target: Record<string, unknown>, keyPath: string, value: unknown): void {
  const parts = keyPath.replace(/\[(\d+)\]/g, '.$1').split('.');
  let obj: Record<string, unknown> = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = obj[parts[i]];
    if (typeof next !== 'object' || next === null) obj[parts[i]] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    obj = obj[parts[i]] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1]] = value;
}

/** A view whose data starts as `initial` (deep-copied, as setData copies what it gets). */
export function captureView<D extends object>(initial: D): CapturedView<D> {
  const view: CapturedView<D> = {
    data: structuredClone(initial),
    patches: [],
    setData(patch, callback) {
      const copy = JSON.parse(JSON.stringify(patch)) as Record<string, unknown>;
      view.patches.push(copy);
      for (const [k, v] of Object.entries(copy)) setPath(view.data as Record<string, unknown>, k, v);
      if (callback) queueMicrotask(callback);
    },
  };
  return view;
}
