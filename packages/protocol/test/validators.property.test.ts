/**
 * Property tests (fast-check, seeded) over every validator of the protocol package: on any
 * input — arbitrary JSON, deep nesting, mutated valid frames — a validator returns or throws
 * ImError('bad_request'); nothing else escapes, and what it accepts satisfies the contract.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  charCount,
  DEFAULT_LIMITS,
  extractRid,
  ImError,
  parseClientFrame,
  parseConvId,
  parseTarget,
  utf8Length,
  validateConvId,
  validateCreateGroup,
  validateDevAuth,
  validateGroupPatch,
  validateHistoryRange,
  validateMemberPatch,
  validateMessageBody,
  validateProfilePatch,
  validateReadBody,
  validateTransfer,
  validateUserIds,
} from '../src/index.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = 1500;
const params = { seed: SEED, numRuns: RUNS };

/** Calls `fn`; an ImError must be bad_request; anything else thrown fails the property. */
function total(fn: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof ImError && e.code === 'bad_request' && e.message.length > 0) return { ok: false };
    throw e;
  }
}

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const weirdString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', ' ', '\u0000', 'system', 'd:a:a', 'g:', 'u:', '🙂'.repeat(3000)));
const leaf = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), weirdString, id);
const deep = fc.integer({ min: 1, max: 3000 }).map((n) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
});
const anyValue = fc.oneof(fc.anything(), fc.jsonValue(), deep, leaf);

const validSends = fc.record({
  op: fc.constant('send'),
  rid: id,
  to: fc.oneof(
    id.map((u) => `u:${u}`),
    id.map((g) => `g:${g}`),
  ),
  clientMsgId: id,
  kind: fc.constant('text'),
  body: fc.record({ text: fc.string({ minLength: 1, maxLength: 50 }) }),
});
/** Custom sends, some nested deeper than any stack (the old 500 `internal`). */
const customSends = fc.record({
  op: fc.constant('send'),
  rid: id,
  to: fc.constant('u:bob'),
  clientMsgId: id,
  kind: fc.constant('custom'),
  body: fc.oneof(
    fc.object(),
    deep.map((d) => ({ d })),
  ),
});
const validFrames = fc.oneof(
  validSends,
  fc.record({ op: fc.constant('read'), rid: id, conv: fc.constant('d:alice:bob'), seq: fc.nat() }),
  fc.record({ op: fc.constant('history'), rid: id, conv: fc.constant('g:team'), limit: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ op: fc.constant('convs'), rid: id }),
  fc.record({ op: fc.constant('recall'), rid: id, conv: fc.constant('d:alice:bob'), seq: fc.integer({ min: 1 }) }),
  fc.record({ op: fc.constant('typing'), to: fc.constant('u:bob') }),
  fc.record({ op: fc.constant('presence'), rid: id, users: fc.array(id, { maxLength: 5 }), watch: fc.boolean() }),
  fc.record({ op: fc.constant('ping'), rid: id }, { requiredKeys: ['op'] }),
);

/** A valid frame with one field replaced, removed or added. */
const mutatedFrames = fc.tuple(validFrames, fc.nat(), anyValue, fc.constantFrom('replace', 'delete', 'add')).map(([f, i, v, how]) => {
  const o: Record<string, unknown> = { ...f };
  const keys = Object.keys(o);
  const k = keys[i % keys.length] ?? 'op';
  if (how === 'replace') o[k] = v;
  else if (how === 'delete') delete o[k];
  else o[`x${i}`] = v;
  return o;
});

const objectValidators: Array<[string, (v: unknown) => unknown]> = [
  ['parseClientFrame', (v) => parseClientFrame(v)],
  ['validateDevAuth', validateDevAuth],
  ['validateProfilePatch', validateProfilePatch],
  ['validateReadBody', validateReadBody],
  ['validateMessageBody', (v) => validateMessageBody(v)],
  ['validateConvId', validateConvId],
  ['validateCreateGroup', validateCreateGroup],
  ['validateGroupPatch', validateGroupPatch],
  ['validateUserIds', validateUserIds],
  ['validateMemberPatch', validateMemberPatch],
  ['validateTransfer', validateTransfer],
  ['validateHistoryRange', (v) => validateHistoryRange((typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>)],
];

describe(`protocol validators under fast-check (seed ${SEED})`, () => {
  it.each(objectValidators)('%s returns or throws bad_request on any value', (_name, fn) => {
    fc.assert(
      fc.property(fc.oneof(anyValue, mutatedFrames, customSends), (v) => {
        total(() => fn(v));
      }),
      params,
    );
  });

  it('parseClientFrame accepts every valid frame, keeps op and rid, and is idempotent', () => {
    fc.assert(
      fc.property(validFrames, (f) => {
        const parsed = parseClientFrame(f) as unknown as Record<string, unknown>;
        expect(parsed.op).toBe(f.op);
        if ('rid' in f) expect(parsed.rid).toBe(f.rid);
        expect(parseClientFrame(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
      }),
      params,
    );
  });

  it('an accepted send respects the contract limits', () => {
    fc.assert(
      fc.property(fc.oneof(validSends, mutatedFrames), (f) => {
        const r = total(() => parseClientFrame(f));
        if (!r.ok) return;
        const v = r.value as Record<string, any>;
        if (v.op !== 'send') return;
        expect(parseTarget(v.to)).not.toBeNull();
        expect(v.clientMsgId.length).toBeGreaterThanOrEqual(1);
        expect(v.clientMsgId.length).toBeLessThanOrEqual(DEFAULT_LIMITS.maxClientMsgIdChars);
        if (v.kind === 'text') expect(charCount(v.body.text)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxTextChars);
        if (v.kind === 'custom') expect(utf8Length(JSON.stringify(v.body))).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCustomBytes);
      }),
      params,
    );
  });

  it('extractRid, parseConvId and parseTarget never throw, and return only well-formed values', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const rid = extractRid(typeof v === 'object' && v !== null ? v : { rid: v });
        if (rid !== undefined) expect(typeof rid === 'string' && rid.length <= DEFAULT_LIMITS.maxRidChars).toBe(true);
        const conv = parseConvId(v);
        if (conv) expect(typeof v).toBe('string');
        const target = parseTarget(v);
        if (target) expect(typeof v).toBe('string');
      }),
      params,
    );
  });

  it('utf8Length matches Buffer.byteLength on well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
      }),
      params,
    );
  });
});
