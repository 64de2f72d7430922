/**
 * The admin routes' request schemas (JSON Schema, validated by Fastify before a handler
 * runs; a failure answers 400 `bad_request` naming the field). They are also what an
 * OpenAPI generator reads, with the `summary` and `tags` beside them.
 */

const ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const CONV = { type: 'string', minLength: 3, maxLength: 200, description: 'd:<a>:<b> or g:<groupId>' } as const;
const SEQ = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const CURSOR = { type: 'string', maxLength: 500 } as const;
const limit = (max: number, dflt: number) => ({ type: 'integer', minimum: 1, maximum: max, default: dflt }) as const;

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false }) as const;

/** Every admin route: bearer admin token (or an admin user's token). */
const base = (summary: string) => ({ tags: ['admin'], summary, security: [{ adminToken: [] }] });

const userParams = obj({ id: ID }, ['id']);
const groupParams = obj({ id: ID }, ['id']);
const convSeqParams = obj({ conv: CONV, seq: SEQ }, ['conv', 'seq']);
const page = (max: number, dflt: number) => obj({ limit: limit(max, dflt), cursor: CURSOR });

export const S = {
  stats: base('Online sockets and users, per node and in total'),
  searchUsers: {
    ...base('Find users by id, id prefix, nickname part, openid or unionid'),
    querystring: obj({ q: { type: 'string', minLength: 1, maxLength: 128 }, limit: limit(100, 20) }, ['q']),
  },
  getUser: { ...base('A user: profile, online, ban, WeChat identities, phone'), params: userParams },
  userSessions: { ...base("A user's login sessions, newest first"), params: userParams },
  ban: {
    ...base('Ban a user: sessions revoked, live sockets closed with 4403, logins answer 403'),
    params: userParams,
    body: obj({ reason: { type: 'string', maxLength: 500 } }),
  },
  unban: { ...base('Lift a ban'), params: userParams },
  exportUser: { ...base('Everything stored about a user (data-subject access request), as JSON'), params: userParams },
  eraseUser: { ...base('Erase a user (data-subject deletion): messages become recall stubs, profile and identities deleted'), params: userParams },
  messageById: { ...base('A message by its id'), params: obj({ id: { type: 'string', minLength: 1, maxLength: 64 } }, ['id']) },
  message: { ...base('A message by conversation and seq'), params: convSeqParams },
  removeMessage: { ...base('Remove (recall) any message, with a content_removed notice in the conversation'), params: convSeqParams },
  exportConversation: { ...base('A conversation as JSON Lines (application/x-ndjson), oldest first'), params: obj({ conv: CONV }, ['conv']) },
  listGroups: { ...base('Groups by id, disbanded ones included'), querystring: page(200, 50) },
  getGroup: { ...base('A group'), params: groupParams },
  groupMembers: { ...base("A group's members"), params: groupParams, querystring: page(500, 100) },
  dissolveGroup: { ...base('Dissolve (disband) a group'), params: groupParams },
  transferGroup: { ...base('Make another member the owner'), params: groupParams, body: obj({ userId: ID }, ['userId']) },
  muteGroup: { ...base('Mute or unmute the whole group'), params: groupParams, body: obj({ muted: { type: 'boolean' } }, ['muted']) },
  muteMember: {
    ...base('Mute a member until a time (epoch ms; 0 lifts it)'),
    params: obj({ id: ID, userId: ID }, ['id', 'userId']),
    body: obj({ mutedUntil: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } }, ['mutedUntil']),
  },
  notice: {
    ...base('A system notice ({event: "notice", text}) to a user, a group or everyone'),
    body: obj(
      {
        to: { type: 'string', minLength: 3, maxLength: 70, description: 'u:<userId>, g:<groupId> or all' },
        text: { type: 'string', minLength: 1, maxLength: 5000 },
      },
      ['to', 'text'],
    ),
  },
  audit: {
    ...base('The audit log, newest first, with filters and a cursor'),
    querystring: obj({
      actor: { type: 'string', maxLength: 200 },
      action: { type: 'string', maxLength: 200 },
      target: { type: 'string', maxLength: 300 },
      since: { type: 'integer', minimum: 0 },
      until: { type: 'integer', minimum: 0 },
      limit: limit(500, 100),
      cursor: CURSOR,
    }),
  },
} as const;
