/**
 * Runtime validators for every client frame and HTTP body. Hand-written (no
 * dependency) so they run in a browser, a mini-program and the server's hot path.
 * Each failure throws ImError('bad_request') whose message names the field.
 */
import { ImError } from './codes.js';
import { isValidId, parseConvId, parseTarget, SYSTEM_USER_ID } from './ids.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { ClientFrame, ClientMessageKind, ConvsFrame, HistoryFrame, MessageBody, PresenceFrame, ReadFrame, RecallFrame, SendFrame } from './types.js';

type Obj = Record<string, unknown>;

/** The limits validation depends on (the server may announce others in `hello.limits`). */
export interface BodyLimits {
  maxTextChars: number;
  maxCustomBytes: number;
}

export function bad(message: string): ImError {
  return new ImError('bad_request', message);
}

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** UTF-8 byte length without Buffer or TextEncoder (isomorphic). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** True when `v` nests objects/arrays deeper than `max` levels (iterative: safe on any input). */
export function nestedDeeperThan(v: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(x)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** Length in Unicode code points (what a person counts as characters). */
export function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++;
    n++;
  }
  return n;
}

export function str(o: Obj, field: string, min: number, max: number, path = field): string {
  const v = o[field];
  if (typeof v !== 'string') throw bad(`${path} must be a string`);
  if (v.length < min) throw bad(min === 1 ? `${path} must not be empty` : `${path} is too short`);
  if (v.length > max) throw bad(`${path} must be at most ${max} characters`);
  // PostgreSQL cannot store U+0000 in text: refused on every backend alike (docs/protocol.md).
  if (v.includes('\u0000')) throw bad(`${path} must not contain U+0000`);
  return v;
}

export function optStr(o: Obj, field: string, min: number, max: number, path = field): string | undefined {
  return o[field] === undefined ? undefined : str(o, field, min, max, path);
}

export function int(o: Obj, field: string, min: number, max: number, path = field): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`${path} must be an integer`);
  if (v < min || v > max) throw bad(`${path} must be between ${min} and ${max}`);
  return v;
}

export function optInt(o: Obj, field: string, min: number, max: number, path = field): number | undefined {
  return o[field] === undefined ? undefined : int(o, field, min, max, path);
}

function optBool(o: Obj, field: string, path = field): boolean | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw bad(`${path} must be a boolean`);
  return v;
}

function optNum(o: Obj, field: string, path = field): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`${path} must be a non-negative number`);
  return v;
}

export function idField(o: Obj, field: string, path = field): string {
  const v = o[field];
  if (!isValidId(v)) throw bad(`${path} must match ^[A-Za-z0-9_-]{1,64}$`);
  return v;
}

export function idList(o: Obj, field: string, max: number, path = field): string[] {
  const v = o[field];
  if (!Array.isArray(v)) throw bad(`${path} must be an array of user ids`);
  if (v.length > max) throw bad(`${path} must have at most ${max} entries`);
  for (let i = 0; i < v.length; i++) {
    if (!isValidId(v[i])) throw bad(`${path}[${i}] must match ^[A-Za-z0-9_-]{1,64}$`);
  }
  return v as string[];
}

function convField(o: Obj, path = 'conv'): string {
  const v = o.conv;
  if (parseConvId(v) === null) throw bad(`${path} must be a conversation id (d:<a>:<b> or g:<groupId>)`);
  return v as string;
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const L = DEFAULT_LIMITS;

function rid(o: Obj): string | undefined {
  return optStr(o, 'rid', 1, L.maxRidChars);
}

function requireRid(o: Obj): string {
  if (o.rid === undefined) throw bad('rid is required for this op');
  return str(o, 'rid', 1, L.maxRidChars);
}

/** The `rid` of a raw frame if it is a usable string, so an error can still be correlated. */
export function extractRid(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const r = value.rid;
  return typeof r === 'string' && r.length >= 1 && r.length <= L.maxRidChars ? r : undefined;
}

const MESSAGE_KINDS: ReadonlySet<string> = new Set(['text', 'image', 'video', 'audio', 'file', 'custom']);

/** Validates and normalises a message body for its kind (unknown fields of typed kinds are dropped). */
export function validateBody(kind: ClientMessageKind, body: unknown, limits: BodyLimits = L): MessageBody {
  if (!isObject(body)) throw bad('body must be an object');
  switch (kind) {
    case 'text': {
      const text = body.text;
      if (typeof text !== 'string') throw bad('body.text must be a string');
      if (text.length === 0) throw bad('body.text must not be empty');
      if (text.length > limits.maxTextChars && charCount(text) > limits.maxTextChars) {
        throw bad(`body.text must be at most ${limits.maxTextChars} characters`);
      }
      const out: { text: string; mentions?: string[]; mentionAll?: boolean } = { text };
      if (body.mentions !== undefined) out.mentions = idList(body, 'mentions', L.maxMentions, 'body.mentions');
      const all = optBool(body, 'mentionAll', 'body.mentionAll');
      if (all !== undefined) out.mentionAll = all;
      return out;
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'file': {
      const out: Obj = { url: urlField(body, 'url', 'body.url') };
      if (kind === 'file') out.name = str(body, 'name', 1, 255, 'body.name');
      if (kind === 'image') {
        copyOpt(out, 'width', optNum(body, 'width', 'body.width'));
        copyOpt(out, 'height', optNum(body, 'height', 'body.height'));
      }
      if (kind === 'video' || kind === 'audio') copyOpt(out, 'duration', optNum(body, 'duration', 'body.duration'));
      if (kind === 'video' && body.cover !== undefined) out.cover = urlField(body, 'cover', 'body.cover');
      copyOpt(out, 'size', optNum(body, 'size', 'body.size'));
      return out;
    }
    case 'custom': {
      if (nestedDeeperThan(body, L.maxCustomDepth)) throw bad(`body must nest at most ${L.maxCustomDepth} levels deep for kind custom`);
      if (utf8Length(JSON.stringify(body)) > limits.maxCustomBytes) {
        throw bad(`body must be at most ${limits.maxCustomBytes} bytes serialized for kind custom`);
      }
      return body;
    }
  }
}

function copyOpt(out: Obj, key: string, v: unknown): void {
  if (v !== undefined) out[key] = v;
}

function urlField(o: Obj, field: string, path: string): string {
  const v = str(o, field, 1, L.maxUrlChars, path);
  if (!/^https?:\/\/[^\s]+$/i.test(v) && !v.startsWith('/')) throw bad(`${path} must be an http(s) URL`);
  return v;
}

/** Fields shared by WS `send` and `POST /api/messages`. */
export function validateSend(o: Obj, limits: BodyLimits = L): Omit<SendFrame, 'op' | 'rid'> {
  const to = o.to;
  if (parseTarget(to) === null) throw bad('to must be "u:<userId>" or "g:<groupId>"');
  const clientMsgId = str(o, 'clientMsgId', 1, L.maxClientMsgIdChars);
  const kind = o.kind;
  if (typeof kind !== 'string' || !MESSAGE_KINDS.has(kind)) {
    throw bad('kind must be one of text, image, video, audio, file, custom');
  }
  const body = validateBody(kind as ClientMessageKind, o.body, limits);
  return { to: to as string, clientMsgId, kind: kind as ClientMessageKind, body };
}

/** Validates `before`/`after`/`limit` of a history query. */
export function validateHistoryRange(o: Obj): { before?: number; after?: number; limit: number } {
  const before = optInt(o, 'before', 1, MAX_SEQ);
  const after = optInt(o, 'after', 0, MAX_SEQ);
  if (before !== undefined && after !== undefined) throw bad('before and after cannot both be given');
  const limit = optInt(o, 'limit', 1, L.historyMaxLimit) ?? L.historyDefaultLimit;
  const out: { before?: number; after?: number; limit: number } = { limit };
  if (before !== undefined) out.before = before;
  if (after !== undefined) out.after = after;
  return out;
}

/**
 * Parses one client frame (already JSON-decoded). Rejects unknown ops, wrong
 * types and over-long strings with `bad_request` naming the field.
 */
export function parseClientFrame(value: unknown, limits: BodyLimits = L): ClientFrame {
  if (!isObject(value)) throw bad('frame must be a JSON object');
  const op = value.op;
  if (typeof op !== 'string') throw bad('op must be a string');
  switch (op) {
    case 'send': {
      const r = requireRid(value);
      return { op, rid: r, ...validateSend(value, limits) } satisfies SendFrame;
    }
    case 'read': {
      const f: ReadFrame = { op, conv: convField(value), seq: int(value, 'seq', 0, MAX_SEQ) };
      const r = rid(value);
      if (r !== undefined) f.rid = r;
      return f;
    }
    case 'history': {
      const r = requireRid(value);
      return { op, rid: r, conv: convField(value), ...validateHistoryRange(value) } satisfies HistoryFrame;
    }
    case 'convs': {
      const f: ConvsFrame = { op, rid: requireRid(value) };
      const limit = optInt(value, 'limit', 1, L.historyMaxLimit);
      if (limit !== undefined) f.limit = limit;
      const cursor = optStr(value, 'cursor', 1, 256);
      if (cursor !== undefined) f.cursor = cursor;
      return f;
    }
    case 'recall':
      return { op, rid: requireRid(value), conv: convField(value), seq: int(value, 'seq', 1, MAX_SEQ) } satisfies RecallFrame;
    case 'typing': {
      if (parseTarget(value.to) === null) throw bad('to must be "u:<userId>" or "g:<groupId>"');
      return { op, to: value.to as string };
    }
    case 'presence': {
      const f: PresenceFrame = { op, rid: requireRid(value), users: idList(value, 'users', L.presenceMaxUsers) };
      const watch = optBool(value, 'watch');
      if (watch !== undefined) f.watch = watch;
      return f;
    }
    case 'ping': {
      const r = rid(value);
      return r === undefined ? { op } : { op, rid: r };
    }
    default:
      throw bad(`unknown op "${op.slice(0, 32)}"`);
  }
}

// ---- HTTP bodies ----

export function validateDevAuth(v: unknown): { userId: string; nickname?: string; avatarUrl?: string } {
  if (!isObject(v)) throw bad('body must be a JSON object');
  const out: { userId: string; nickname?: string; avatarUrl?: string } = { userId: idField(v, 'userId') };
  if (out.userId === SYSTEM_USER_ID) throw bad(`userId "${SYSTEM_USER_ID}" is reserved`);
  const nickname = optStr(v, 'nickname', 1, L.maxNicknameChars);
  if (nickname !== undefined) out.nickname = nickname;
  const avatarUrl = optStr(v, 'avatarUrl', 0, L.maxUrlChars);
  if (avatarUrl !== undefined) out.avatarUrl = avatarUrl;
  return out;
}

export function validateProfilePatch(v: unknown): { nickname?: string; avatarUrl?: string } {
  if (!isObject(v)) throw bad('body must be a JSON object');
  const out: { nickname?: string; avatarUrl?: string } = {};
  const nickname = optStr(v, 'nickname', 1, L.maxNicknameChars);
  if (nickname !== undefined) out.nickname = nickname;
  const avatarUrl = optStr(v, 'avatarUrl', 0, L.maxUrlChars);
  if (avatarUrl !== undefined) out.avatarUrl = avatarUrl;
  return out;
}

export function validateReadBody(v: unknown): { seq: number } {
  if (!isObject(v)) throw bad('body must be a JSON object');
  return { seq: int(v, 'seq', 0, MAX_SEQ) };
}

export function validateMessageBody(v: unknown, limits: BodyLimits = L): Omit<SendFrame, 'op' | 'rid'> {
  if (!isObject(v)) throw bad('body must be a JSON object');
  return validateSend(v, limits);
}

export function validateConvId(conv: unknown): string {
  if (parseConvId(conv) === null) throw bad('conv must be a conversation id (d:<a>:<b> or g:<groupId>)');
  return conv as string;
}
