/**
 * setData discipline for the chat list: a new message, a receipt or a progress tick sends only
 * the changed paths (`'items[12].progress'`, `'items[12].msg.status'`, `'items[2000]'`), never the
 * whole list. Only a change of order (older messages on top, a row removed) sends `items` whole.
 */
import type { ChatItem } from './chat-items.js';

/** Fields of a row compared one level deeper (a message's status changes without its body). */
const DEEP = new Set(['msg']);

/** What the view held last time: the rows' keys and each field's JSON, to diff without re-reading `data`. */
export interface RenderedRows {
  keys: string[];
  json: Array<Record<string, string>>;
}

export function emptyRendered(): RenderedRows {
  return { keys: [], json: [] };
}

function fieldJson(item: ChatItem): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(item)) {
    if (DEEP.has(k) && v && typeof v === 'object') {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) out[`${k}.${k2}`] = JSON.stringify(v2) ?? 'undefined';
    } else out[k] = JSON.stringify(v) ?? 'undefined';
  }
  return out;
}

function valueAt(item: ChatItem, field: string): unknown {
  const dot = field.indexOf('.');
  if (dot < 0) return (item as unknown as Record<string, unknown>)[field];
  const inner = (item as unknown as Record<string, Record<string, unknown>>)[field.slice(0, dot)];
  return inner?.[field.slice(dot + 1)];
}

/**
 * The `setData` patch that turns the rendered rows into `items`, and the new rendered state.
 * Rows keep their index when the keys before them did not change; new rows at the end are set
 * by index; anything else replaces the list.
 */
export function diffRows(prev: RenderedRows, items: ChatItem[]): { patch: Record<string, unknown>; rendered: RenderedRows } {
  const keys = items.map((i) => i.key);
  const json = items.map(fieldJson);
  const rendered = { keys, json };
  const samePrefix = prev.keys.length <= keys.length && prev.keys.every((k, i) => keys[i] === k);
  if (!samePrefix || prev.keys.length === 0) return { patch: { items }, rendered };
  const patch: Record<string, unknown> = {};
  for (let i = 0; i < prev.keys.length; i++) {
    const before = prev.json[i];
    const after = json[i];
    const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
    const changed = [...fields].filter((f) => before[f] !== after[f]);
    if (changed.length === 0) continue;
    // setData cannot delete a key: a row that lost a field is set whole; else field by field.
    const removed = changed.some((f) => after[f] === undefined);
    if (removed) patch[`items[${i}]`] = items[i];
    else for (const f of changed) patch[`items[${i}].${f}`] = valueAt(items[i], f) ?? null;
  }
  for (let i = prev.keys.length; i < items.length; i++) patch[`items[${i}]`] = items[i];
  return { patch, rendered };
}
