import { describe, expect, it } from 'vitest';
import {
  charCount,
  convKindOf,
  directConvId,
  groupConvId,
  ImError,
  parseClientFrame,
  parseConvId,
  parseTarget,
  utf8Length,
  validateDevAuth,
} from '../src/index.js';

function errorOf(fn: () => unknown): ImError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ImError) return e;
    throw e;
  }
  throw new Error('expected an ImError');
}

describe('conversation ids', () => {
  it('orders direct ids bytewise', () => {
    expect(directConvId('bob', 'alice')).toBe('d:alice:bob');
    expect(directConvId('B', 'a')).toBe('d:B:a');
    expect(parseConvId('d:alice:bob')).toEqual({ kind: 'direct', a: 'alice', b: 'bob' });
    expect(parseConvId('d:bob:alice')).toBeNull();
    expect(parseConvId('d:a:a')).toBeNull();
    expect(parseConvId('g:team_1')).toEqual({ kind: 'group', groupId: 'team_1' });
    expect(parseConvId('g:bad id')).toBeNull();
    expect(parseConvId('x:1')).toBeNull();
    expect(parseConvId(42)).toBeNull();
  });
  it('builds group ids and tells the kind of a stored id', () => {
    expect(groupConvId('team_1')).toBe('g:team_1');
    expect(convKindOf(groupConvId('team_1'))).toBe('group');
    expect(convKindOf(directConvId('bob', 'alice'))).toBe('direct');
  });
  it('parses send targets', () => {
    expect(parseTarget('u:bob')).toEqual({ kind: 'user', userId: 'bob' });
    expect(parseTarget('g:g1')).toEqual({ kind: 'group', groupId: 'g1' });
    expect(parseTarget('x:bob')).toBeNull();
    expect(parseTarget(`u:${'a'.repeat(65)}`)).toBeNull();
  });
});

describe('parseClientFrame', () => {
  const good = { op: 'send', rid: 'r1', to: 'u:bob', clientMsgId: 'c1', kind: 'text', body: { text: 'hi' } };
  it('accepts a well-formed send and drops unknown body fields of typed kinds', () => {
    const f = parseClientFrame({ ...good, body: { text: 'hi', evil: 1 } });
    expect(f).toEqual({ ...good });
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', [1, 2], /frame must be a JSON object/],
    ['missing op', { rid: 'x' }, /op must be a string/],
    ['unknown op', { op: 'dance', rid: 'x' }, /unknown op "dance"/],
    ['send without rid', { ...good, rid: undefined }, /rid is required/],
    ['rid too long', { ...good, rid: 'r'.repeat(65) }, /rid must be at most 64/],
    ['bad to', { ...good, to: 'bob' }, /^to must be/],
    ['empty clientMsgId', { ...good, clientMsgId: '' }, /clientMsgId must not be empty/],
    ['long clientMsgId', { ...good, clientMsgId: 'c'.repeat(65) }, /clientMsgId must be at most 64/],
    ['bad kind', { ...good, kind: 'system' }, /^kind must be one of/],
    ['body not object', { ...good, body: 'hi' }, /body must be an object/],
    ['text wrong type', { ...good, body: { text: 5 } }, /body.text must be a string/],
    ['text too long', { ...good, body: { text: 'x'.repeat(5001) } }, /body.text must be at most 5000/],
    ['image without url', { ...good, kind: 'image', body: {} }, /body.url must be a string/],
    ['image url not http', { ...good, kind: 'image', body: { url: 'javascript:alert(1)' } }, /body.url must be an http/],
    ['file without name', { ...good, kind: 'file', body: { url: 'https://x/y' } }, /body.name/],
    ['custom too big', { ...good, kind: 'custom', body: { a: 'x'.repeat(9000) } }, /at most 8192 bytes/],
    ['read seq not int', { op: 'read', conv: 'd:a:b', seq: 1.5 }, /seq must be an integer/],
    ['read bad conv', { op: 'read', conv: 'd:b:a', seq: 1 }, /conv must be a conversation id/],
    ['history both', { op: 'history', rid: 'h', conv: 'd:a:b', before: 5, after: 1 }, /cannot both/],
    ['history limit', { op: 'history', rid: 'h', conv: 'd:a:b', limit: 101 }, /limit must be between 1 and 100/],
    ['presence too many', { op: 'presence', rid: 'p', users: Array(501).fill('a') }, /at most 500/],
    ['presence bad id', { op: 'presence', rid: 'p', users: ['ok', 'no way'] }, /users\[1\]/],
    ['recall seq 0', { op: 'recall', rid: 'r', conv: 'g:g1', seq: 0 }, /seq must be between/],
    ['typing bad to', { op: 'typing', to: 5 }, /^to must be/],
  ];
  it.each(cases)('rejects %s with bad_request naming the field', (_name, frame, message) => {
    const err = errorOf(() => parseClientFrame(frame));
    expect(err.code).toBe('bad_request');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });

  it('counts characters as code points', () => {
    expect(charCount('😀'.repeat(5000))).toBe(5000);
    expect(() => parseClientFrame({ ...good, body: { text: '😀'.repeat(5000) } })).not.toThrow();
    expect(utf8Length('é😀a')).toBe(2 + 4 + 1);
  });

  it('accepts ping without rid and keeps presence watch', () => {
    expect(parseClientFrame({ op: 'ping' })).toEqual({ op: 'ping' });
    expect(parseClientFrame({ op: 'presence', rid: 'p', users: ['a'], watch: true })).toEqual({
      op: 'presence',
      rid: 'p',
      users: ['a'],
      watch: true,
    });
  });
});

describe('HTTP bodies', () => {
  it('validates dev login', () => {
    expect(validateDevAuth({ userId: 'alice', nickname: '爱丽丝' })).toEqual({ userId: 'alice', nickname: '爱丽丝' });
    expect(errorOf(() => validateDevAuth({ userId: 'a b' })).message).toMatch(/userId/);
    expect(errorOf(() => validateDevAuth(null)).message).toMatch(/body/);
    expect(errorOf(() => validateDevAuth({ userId: 'system' }))).toMatchObject({ code: 'bad_request', message: 'userId "system" is reserved' });
  });
});
