/**
 * The JSON Schemas of the OpenAPI document (schemas.ts) against the validators that really
 * check requests: on seeded near-valid inputs both must accept and refuse the same values,
 * so a client generated from /api/openapi.json is neither stricter nor looser than the server.
 */
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS as L,
  requestSchemas,
  validateCreateGroup,
  validateDevAuth,
  validateGroupPatch,
  validateMemberPatch,
  validateMessageBody,
  validateProfilePatch,
  validateReadBody,
  validateTransfer,
  validateUserIds,
} from '../src/index.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const ajv = new Ajv({ allErrors: false, strict: false });

const accepts = (validate: (v: unknown) => unknown, v: unknown): boolean => {
  try {
    validate(v);
    return true;
  } catch {
    return false;
  }
};

// Values a field may take: valid ones, edge lengths, wrong types.
const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.constantFrom('', 'a b', 'x'.repeat(65), 'system', 'é'));
const text = (max: number) => fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('x'.repeat(max), 'x'.repeat(max + 1)));
const junk = fc.constantFrom(null, 1, -1, 1.5, true, [], {}, '1');
const field = <T>(a: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: junk }), { nil: undefined });
const url = fc.constantFrom('https://example.com/a.png', '/media/x', 'ftp://x', 'http://a b', '');
const size = fc.oneof(fc.nat(), fc.constant(-1));

const bodies: Record<string, [(v: unknown) => unknown, fc.Arbitrary<Record<string, unknown>>]> = {
  DevLogin: [validateDevAuth, fc.record({ userId: field(id), nickname: field(text(L.maxNicknameChars)), avatarUrl: field(text(L.maxUrlChars)) })],
  ProfilePatch: [validateProfilePatch, fc.record({ nickname: field(text(L.maxNicknameChars)), avatarUrl: field(text(L.maxUrlChars)) })],
  Read: [validateReadBody, fc.record({ seq: field(fc.oneof(fc.nat(), fc.constant(-1))) })],
  CreateGroup: [validateCreateGroup, fc.record({ name: field(text(64)), members: field(fc.array(id, { maxLength: 3 })), avatarUrl: field(text(8)) })],
  GroupPatch: [validateGroupPatch, fc.record({ name: field(text(64)), avatarUrl: field(text(8)), muted: field(fc.boolean()) })],
  UserIds: [validateUserIds, fc.record({ userIds: field(fc.array(id, { maxLength: 3 })) })],
  MemberPatch: [
    validateMemberPatch,
    fc.record({ role: field(fc.constantFrom('admin', 'member', 'owner')), mutedUntil: field(fc.oneof(fc.nat(), fc.constant(-1))) }),
  ],
  Transfer: [validateTransfer, fc.record({ userId: field(id) })],
  Send: [
    validateMessageBody,
    fc.record({
      to: field(
        fc.oneof(
          id.map((i) => `u:${i}`),
          id.map((i) => `g:${i}`),
          id,
        ),
      ),
      clientMsgId: field(text(L.maxClientMsgIdChars)),
      kind: field(fc.constantFrom('text', 'image', 'video', 'audio', 'file', 'custom', 'system')),
      body: field(
        fc.record({
          text: field(text(L.maxTextChars)),
          mentions: field(fc.array(id, { maxLength: 2 })),
          url: field(url),
          name: field(text(255)),
          width: field(size),
          size: field(size),
          duration: field(size),
          cover: field(url),
        }),
      ),
    }),
  ],
};

describe('OpenAPI request schemas agree with the validators', () => {
  it('covers every request schema', () => {
    expect(Object.keys(bodies).sort()).toEqual(Object.keys(requestSchemas).sort());
  });

  for (const [name, [validate, arb]] of Object.entries(bodies)) {
    it(`${name}: the schema accepts exactly what the validator accepts (seed ${SEED})`, () => {
      const check = ajv.compile(requestSchemas[name] as object);
      let accepted = 0;
      fc.assert(
        fc.property(arb, (v) => {
          const server = accepts(validate, v);
          if (server) accepted++;
          expect({ value: v, schema: check(v) }).toEqual({ value: v, schema: server });
        }),
        { seed: SEED, numRuns: 2000 },
      );
      // The generator reaches both sides, or the comparison says nothing.
      expect(accepted).toBeGreaterThan(20);
      expect(accepted).toBeLessThan(2000);
    });
  }
});
