/**
 * JSON Schemas of the v1 HTTP bodies and answers, for the OpenAPI document the server
 * serves (`/api/openapi.json`). The validators in validate.ts stay the single source of
 * truth: these schemas only describe them, and test/schemas.test.ts checks that both
 * accept and refuse the same values. What a schema cannot say (a `custom` body's size and
 * depth, the byte order of a direct conversation id) is in its `description`.
 * Plain objects: no dependency, safe for browsers and mini-programs.
 */
import { ErrorCodes } from './codes.js';
import { DEFAULT_LIMITS as L } from './limits.js';
import { MAX_IDS_PER_REQUEST } from './validate-groups.js';

type Schema = Record<string, unknown>;

const ID = '[A-Za-z0-9_-]{1,64}';
const str = (min: number, max: number, extra: Schema = {}): Schema => ({ type: 'string', minLength: min, maxLength: max, ...extra });
const int = (min: number, max = Number.MAX_SAFE_INTEGER): Schema => ({ type: 'integer', minimum: min, maximum: max });
const obj = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  ...extra,
});

export const idSchema: Schema = { type: 'string', pattern: `^${ID}$` };
const idList = (max: number): Schema => ({ type: 'array', items: idSchema, maxItems: max });
/** `d:<a>:<b>` (a < b, bytewise) or `g:<groupId>`. */
export const convIdSchema: Schema = {
  type: 'string',
  pattern: `^(d:${ID}:${ID}|g:${ID})$`,
  description: 'd:<a>:<b> (the two user ids in byte order, a < b) or g:<groupId>',
};
const target: Schema = { type: 'string', pattern: `^[ug]:${ID}$`, description: 'u:<userId> or g:<groupId>' };
/** An http(s) URL or a path on this server (`/media/…`). */
const url: Schema = str(1, L.maxUrlChars, { pattern: '^([Hh][Tt][Tt][Pp][Ss]?://\\S+|/[\\s\\S]*)$' });
const size: Schema = { type: 'number', minimum: 0 };

const bodies: Record<string, Schema> = {
  text: obj({ text: str(1, L.maxTextChars), mentions: idList(L.maxMentions), mentionAll: { type: 'boolean' } }, ['text']),
  image: obj({ url, width: size, height: size, size }, ['url']),
  video: obj({ url, duration: size, cover: url, size }, ['url']),
  audio: obj({ url, duration: size, size }, ['url']),
  file: obj({ url, name: str(1, 255), size }, ['url', 'name']),
  custom: {
    type: 'object',
    description: `any JSON object, at most ${L.maxCustomBytes} bytes serialised and ${L.maxCustomDepth} levels deep`,
  },
};

/** `POST /api/messages` and the fields of WS `send`. */
export const sendSchema: Schema = {
  ...obj({ to: target, clientMsgId: str(1, L.maxClientMsgIdChars), kind: { enum: Object.keys(bodies) }, body: { type: 'object' } }, [
    'to',
    'clientMsgId',
    'kind',
    'body',
  ]),
  // One branch per kind (the kinds differ, so exactly one can match).
  oneOf: Object.entries(bodies).map(([kind, body]) => ({ properties: { kind: { const: kind }, body } })),
};

const nickname = str(1, L.maxNicknameChars);
const avatarUrl = str(0, L.maxUrlChars);

/** Request bodies, by the name the OpenAPI document gives them. */
export const requestSchemas: Record<string, Schema> = {
  DevLogin: obj({ userId: { ...idSchema, not: { const: 'system' } }, nickname, avatarUrl }, ['userId']),
  ProfilePatch: obj({ nickname, avatarUrl }),
  Read: obj({ seq: int(0) }, ['seq']),
  Send: sendSchema,
  CreateGroup: obj({ name: str(1, 64), members: idList(MAX_IDS_PER_REQUEST), avatarUrl }, ['name', 'members']),
  GroupPatch: obj({ name: str(1, 64), avatarUrl, muted: { type: 'boolean' } }),
  UserIds: obj({ userIds: { ...idList(MAX_IDS_PER_REQUEST), minItems: 1 } }, ['userIds']),
  MemberPatch: { ...obj({ role: { enum: ['admin', 'member'] }, mutedUntil: int(0) }), anyOf: [{ required: ['role'] }, { required: ['mutedUntil'] }] },
  Transfer: obj({ userId: idSchema }, ['userId']),
};

const user = obj({ id: idSchema, nickname: { type: 'string' }, avatarUrl: { type: 'string' } }, ['id', 'nickname', 'avatarUrl']);
const msg = obj(
  {
    id: { type: 'string' },
    conv: convIdSchema,
    seq: int(1),
    from: idSchema,
    kind: { enum: [...Object.keys(bodies), 'system'] },
    body: { type: 'object' },
    ts: int(0),
    clientMsgId: { type: 'string' },
    recalled: obj({ by: { type: 'string' }, ts: int(0) }, ['by', 'ts']),
  },
  ['id', 'conv', 'seq', 'from', 'kind', 'body', 'ts'],
);
const group = obj(
  {
    id: idSchema,
    name: { type: 'string' },
    avatarUrl: { type: 'string' },
    owner: idSchema,
    admins: { type: 'array', items: idSchema },
    memberCount: int(0),
    createdAt: int(0),
    muted: { type: 'boolean' },
  },
  ['id', 'name', 'avatarUrl', 'owner', 'admins', 'memberCount', 'createdAt'],
);

/** Answers, by the name the OpenAPI document gives them. */
export const answerSchemas: Record<string, Schema> = {
  User: user,
  Msg: msg,
  Group: group,
  Conversation: obj(
    {
      conv: convIdSchema,
      kind: { enum: ['direct', 'group'] },
      peer: user,
      group,
      lastMessage: msg,
      lastSeq: int(0),
      readSeq: int(0),
      unread: int(0),
      updatedAt: int(0),
      mentioned: { type: 'boolean' },
    },
    ['conv', 'kind', 'lastSeq', 'readSeq', 'unread', 'updatedAt'],
  ),
  Login: obj({ token: { type: 'string' }, expiresAt: int(0), user }, ['token', 'expiresAt', 'user']),
  Error: obj({ error: obj({ code: { enum: [...ErrorCodes] }, message: { type: 'string' }, retryAfterMs: int(0) }, ['code', 'message']) }, ['error']),
};
