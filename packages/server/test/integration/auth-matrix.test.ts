/**
 * The auth matrix (issue 14 item 9), table-driven: every HTTP route the running server
 * registered (MiniImServer.routes, collected by Fastify's onRoute hook) and every WebSocket op,
 * against every kind of caller: no token, an expired token, a revoked token, another user, a
 * non-member, a group member, a group admin, the group owner (and, for the admin API, the admin
 * token). A route without a row fails the test, so a new route must say who may call it.
 *
 * Refused callers get 401 (no valid token) or 403/404 (valid token, not allowed); allowed
 * callers are never refused with 401/403 and never get a 500. Every request uses a fresh login
 * and a fresh group, so a destructive call (logout, disband, transfer, erase) cannot leak into
 * the next cell.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenService } from '../../src/core/token-service.js';
import { startServer, type TestServer } from '../support/server.js';

const ADMIN_TOKEN = 'A'.repeat(32);
const UNAUTHENTICATED = ['none', 'expired', 'revoked'] as const;
const USERS = ['other', 'nonMember', 'member', 'admin', 'owner'] as const;
type Caller = (typeof UNAUTHENTICATED)[number] | (typeof USERS)[number] | 'adminToken';

/** Who may call a row; everybody else with a valid user token is refused (403/404). */
const EVERY_USER: Caller[] = [...USERS];
const GROUP: Caller[] = ['member', 'admin', 'owner'];
const MODERATORS: Caller[] = ['admin', 'owner'];
const OWNER: Caller[] = ['owner'];
/** The direct chat d:m:o (member and owner). */
const DIRECT: Caller[] = ['member', 'owner'];
const ADMIN_API: Caller[] = ['adminToken'];

/** Per request: a fresh group `g` (owner o, admin a, members m and p) with a message of m and one of o; and the direct chat d:m:o. */
interface Fixture {
  g: string;
  /** Seqs of the messages m and o sent in it. */
  seqBy: { m: number; o: number };
}

interface Row {
  /** `null`: public (no token needed; the token is not what protects it). */
  allowed: Caller[] | null;
  request: (f: Fixture) => { path: string; body?: unknown };
}

const group = (path: (g: string) => string, body?: unknown) => (f: Fixture) => ({ path: path(f.g), body });
const fixed = (p: string, body?: unknown) => () => ({ path: p, body });
const send = (f: Fixture) => ({ path: '/api/messages', body: { to: `g:${f.g}`, clientMsgId: `c${Math.random()}`, kind: 'text', body: { text: 'hi' } } });

const HTTP: Record<string, Row> = {
  'POST /api/auth/dev': { allowed: null, request: fixed('/api/auth/dev', { userId: 'anyone' }) },
  'POST /api/auth/wechat': { allowed: null, request: fixed('/api/auth/wechat', { code: 'c' }) },
  'GET /healthz': { allowed: null, request: fixed('/healthz') },
  'GET /readyz': { allowed: null, request: fixed('/readyz') },
  'GET /metrics': { allowed: null, request: fixed('/metrics') },
  'GET /api/openapi.json': { allowed: null, request: fixed('/api/openapi.json') },
  // Media links carry their own signature (media-recall.test.ts); the token plays no part.
  'GET /media/:key': { allowed: null, request: fixed('/media/AAAAAAAAAAAAAAAAAAAAAAAA.png') },
  'POST /api/auth/refresh': { allowed: EVERY_USER, request: fixed('/api/auth/refresh') },
  'POST /api/auth/logout': { allowed: EVERY_USER, request: fixed('/api/auth/logout') },
  'GET /api/me': { allowed: EVERY_USER, request: fixed('/api/me') },
  'PATCH /api/me': { allowed: EVERY_USER, request: fixed('/api/me', { nickname: 'n' }) },
  'POST /api/me': { allowed: EVERY_USER, request: fixed('/api/me', { nickname: 'n' }) },
  'PUT /api/me': { allowed: EVERY_USER, request: fixed('/api/me', { nickname: 'n' }) },
  'GET /api/users': { allowed: EVERY_USER, request: fixed('/api/users?ids=m') },
  'GET /api/users/:id': { allowed: EVERY_USER, request: fixed('/api/users/m') },
  'GET /api/presence': { allowed: EVERY_USER, request: fixed('/api/presence?users=m') },
  'GET /api/conversations': { allowed: EVERY_USER, request: fixed('/api/conversations') },
  'POST /api/media': { allowed: EVERY_USER, request: fixed('/api/media', { not: 'multipart' }) },
  'POST /api/groups': { allowed: EVERY_USER, request: fixed('/api/groups', { name: 'new', members: ['m'] }) },
  'POST /api/messages': { allowed: GROUP, request: send },
  'GET /api/conversations/:conv/messages': { allowed: GROUP, request: group((g) => `/api/conversations/g:${g}/messages`) },
  'POST /api/conversations/:conv/read': { allowed: GROUP, request: group((g) => `/api/conversations/g:${g}/read`, { seq: 1 }) },
  'GET /api/conversations/:conv/peer-read': { allowed: DIRECT, request: fixed('/api/conversations/d:m:o/peer-read') },
  'GET /api/groups/:id': { allowed: GROUP, request: group((g) => `/api/groups/${g}`) },
  'GET /api/groups/:id/members': { allowed: GROUP, request: group((g) => `/api/groups/${g}/members`) },
  'GET /api/groups/:id/reads': { allowed: GROUP, request: group((g) => `/api/groups/${g}/reads?seq=1`) },
  'PATCH /api/groups/:id': { allowed: MODERATORS, request: group((g) => `/api/groups/${g}`, { name: 'renamed' }) },
  'POST /api/groups/:id': { allowed: MODERATORS, request: group((g) => `/api/groups/${g}`, { name: 'renamed' }) },
  'PUT /api/groups/:id': { allowed: MODERATORS, request: group((g) => `/api/groups/${g}`, { name: 'renamed' }) },
  'POST /api/groups/:id/members': { allowed: MODERATORS, request: group((g) => `/api/groups/${g}/members`, { userIds: ['x'] }) },
  'DELETE /api/groups/:id/members/:userId': { allowed: MODERATORS, request: group((g) => `/api/groups/${g}/members/p`) },
  'PATCH /api/groups/:id/members/:userId': { allowed: MODERATORS, request: group((g) => `/api/groups/${g}/members/p`, { mutedUntil: 0 }) },
  'POST /api/groups/:id/members/:userId': { allowed: MODERATORS, request: group((g) => `/api/groups/${g}/members/p`, { mutedUntil: 0 }) },
  'PUT /api/groups/:id/members/:userId': { allowed: MODERATORS, request: group((g) => `/api/groups/${g}/members/p`, { mutedUntil: 0 }) },
  'POST /api/groups/:id/transfer': { allowed: OWNER, request: group((g) => `/api/groups/${g}/transfer`, { userId: 'm' }) },
  'DELETE /api/groups/:id': { allowed: OWNER, request: group((g) => `/api/groups/${g}`) },
  'GET /api/admin/audit': { allowed: ADMIN_API, request: fixed('/api/admin/audit') },
  'GET /api/admin/stats': { allowed: ADMIN_API, request: fixed('/api/admin/stats') },
  'GET /api/admin/users': { allowed: ADMIN_API, request: fixed('/api/admin/users') },
  'GET /api/admin/users/:id': { allowed: ADMIN_API, request: fixed('/api/admin/users/m') },
  'GET /api/admin/users/:id/export': { allowed: ADMIN_API, request: fixed('/api/admin/users/m/export') },
  'GET /api/admin/users/:id/sessions': { allowed: ADMIN_API, request: fixed('/api/admin/users/m/sessions') },
  'POST /api/admin/users/:id/ban': { allowed: ADMIN_API, request: fixed('/api/admin/users/victim/ban', { reason: 'test' }) },
  'DELETE /api/admin/users/:id/ban': { allowed: ADMIN_API, request: fixed('/api/admin/users/victim/ban') },
  'DELETE /api/admin/users/:id': { allowed: ADMIN_API, request: fixed('/api/admin/users/victim') },
  'GET /api/admin/messages/:id': { allowed: ADMIN_API, request: fixed('/api/admin/messages/nope') },
  'GET /api/admin/conversations/:conv/messages/:seq': {
    allowed: ADMIN_API,
    request: (f) => ({ path: `/api/admin/conversations/g:${f.g}/messages/${f.seqBy.m}` }),
  },
  'DELETE /api/admin/conversations/:conv/messages/:seq': {
    allowed: ADMIN_API,
    request: (f) => ({ path: `/api/admin/conversations/g:${f.g}/messages/${f.seqBy.m}` }),
  },
  'GET /api/admin/conversations/:conv/export': { allowed: ADMIN_API, request: group((g) => `/api/admin/conversations/g:${g}/export`) },
  'GET /api/admin/groups': { allowed: ADMIN_API, request: fixed('/api/admin/groups') },
  'GET /api/admin/groups/:id': { allowed: ADMIN_API, request: group((g) => `/api/admin/groups/${g}`) },
  'GET /api/admin/groups/:id/members': { allowed: ADMIN_API, request: group((g) => `/api/admin/groups/${g}/members`) },
  'DELETE /api/admin/groups/:id': { allowed: ADMIN_API, request: group((g) => `/api/admin/groups/${g}`) },
  'POST /api/admin/groups/:id/mute': { allowed: ADMIN_API, request: group((g) => `/api/admin/groups/${g}/mute`, { muted: true }) },
  'POST /api/admin/groups/:id/members/:userId/mute': { allowed: ADMIN_API, request: group((g) => `/api/admin/groups/${g}/members/p/mute`, { mutedUntil: 0 }) },
  'POST /api/admin/groups/:id/transfer': { allowed: ADMIN_API, request: group((g) => `/api/admin/groups/${g}/transfer`, { userId: 'm' }) },
  'POST /api/admin/notices': { allowed: ADMIN_API, request: fixed('/api/admin/notices', { text: 'notice', userIds: ['m'] }) },
};

/** The web page's files (GET of one top-level file) and the admin console's (under /admin/; its data comes from /api/admin/) are public by design. */
const isWebFile = (route: string) => /^GET \/(admin\/)?[A-Za-z0-9._-]*$/.test(route) && !(route in HTTP);

/** The WebSocket ops, each against group `g` (or the direct chat), with who may run it. */
const WS: Record<string, { allowed: Caller[]; frame: (f: Fixture) => Record<string, unknown> }> = {
  send: { allowed: GROUP, frame: (f) => ({ op: 'send', to: `g:${f.g}`, clientMsgId: `w${Math.random()}`, kind: 'text', body: { text: 'hi' } }) },
  history: { allowed: GROUP, frame: (f) => ({ op: 'history', conv: `g:${f.g}`, limit: 10 }) },
  read: { allowed: GROUP, frame: (f) => ({ op: 'read', conv: `g:${f.g}`, seq: 1 }) },
  // The member m's message: m (its sender) and the moderators may recall it; o's: the moderators only.
  recall: { allowed: GROUP, frame: (f) => ({ op: 'recall', conv: `g:${f.g}`, seq: f.seqBy.m }) },
  'recall (not the sender)': { allowed: MODERATORS, frame: (f) => ({ op: 'recall', conv: `g:${f.g}`, seq: f.seqBy.o }) },
  'history (direct chat)': { allowed: DIRECT, frame: () => ({ op: 'history', conv: 'd:m:o', limit: 10 }) },
  convs: { allowed: EVERY_USER, frame: () => ({ op: 'convs', limit: 10 }) },
  presence: { allowed: EVERY_USER, frame: () => ({ op: 'presence', users: ['m'] }) },
  ping: { allowed: EVERY_USER, frame: () => ({ op: 'ping' }) },
};

const NAMES: Record<(typeof USERS)[number], string> = { other: 'x', nonMember: 'n', member: 'm', admin: 'a', owner: 'o' };

async function setUp(s: TestServer) {
  const secret = readFileSync(path.join(s.dataDir, '.token-secret'), 'utf8').trim();
  const tokens = new TokenService(secret, 60_000, s.server.storage);
  for (const u of ['o', 'a', 'm', 'p', 'n', 'x', 'victim']) await s.login(u);
  await s.http('POST', '/api/messages', { token: await s.login('m'), body: { to: 'u:o', clientMsgId: 'd1', kind: 'text', body: { text: 'direct' } } });
  /** A token for the caller (fresh at every call: logout and refresh revoke theirs). */
  const token = async (c: Caller): Promise<string | undefined> => {
    if (c === 'none') return undefined;
    if (c === 'adminToken') return ADMIN_TOKEN;
    if (c === 'expired') return (await tokens.issue('m', Date.now() - 120_000)).token;
    if (c === 'revoked') {
      const t = await s.login('m');
      expect((await s.http('POST', '/api/auth/logout', { token: t })).status).toBeLessThan(300);
      return t;
    }
    return s.login(NAMES[c]);
  };
  /** A fresh group: owner o, admin a, members m and p, a message by m and one by o. */
  const fixture = async (): Promise<Fixture> => {
    const to = await s.login('o');
    const g = (await s.http('POST', '/api/groups', { token: to, body: { name: 'g', members: ['a', 'm', 'p'] } })).body.id as string;
    expect((await s.http('PATCH', `/api/groups/${g}/members/a`, { token: to, body: { role: 'admin' } })).status).toBe(200);
    const seqBy = { m: 0, o: 0 };
    for (const who of ['m', 'o'] as const) {
      const r = await s.http('POST', '/api/messages', {
        token: await s.login(who),
        body: { to: `g:${g}`, clientMsgId: `f${Math.random()}`, kind: 'text', body: { text: who } },
      });
      expect(r.status).toBe(200);
      seqBy[who] = r.body.msg.seq;
    }
    return { g, seqBy };
  };
  return { token, fixture };
}

describe('auth matrix', () => {
  it('every registered HTTP route has a row, and every row is a registered route', async () => {
    const s = await startServer({ adminToken: ADMIN_TOKEN });
    const routes = [...new Set(s.server.routes)];
    expect(routes.filter((r) => !(r in HTTP) && !isWebFile(r))).toEqual([]);
    expect(Object.keys(HTTP).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('HTTP: every route × no token, expired, revoked, other user, non-member, member, admin, owner (and the admin token)', { timeout: 240_000 }, async () => {
    const s = await startServer({ adminToken: ADMIN_TOKEN, rateLimits: false });
    const { token, fixture } = await setUp(s);
    const wrong: string[] = [];
    for (const [route, row] of Object.entries(HTTP)) {
      const [method] = route.split(' ') as [string];
      const callers: Caller[] = row.allowed === null ? ['none'] : [...UNAUTHENTICATED, ...USERS, 'adminToken'];
      for (const caller of callers) {
        // Rows that name no group (fixed paths) need none.
        const f = row.request.length > 0 ? await fixture() : { g: '', seqBy: { m: 0, o: 0 } };
        const { path: p, body } = row.request(f);
        const t = await token(caller);
        const r = await s.http(method, p, { ...(t ? { token: t } : {}), ...(body !== undefined ? { body } : {}) });
        const cell = `${route} as ${caller} → ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`;
        if (r.status >= 500) wrong.push(`${cell} (server error)`);
        else if (row.allowed === null) {
          if (r.status === 401) wrong.push(`${cell} (public route asked for a token)`);
        } else if ((UNAUTHENTICATED as readonly string[]).includes(caller) || (caller === 'adminToken' && !row.allowed.includes('adminToken'))) {
          if (r.status !== 401) wrong.push(`${cell} (expected 401)`);
        } else if (row.allowed.includes(caller)) {
          if (r.status === 401 || r.status === 403) wrong.push(`${cell} (expected to be allowed)`);
        } else if (r.status !== 403 && r.status !== 404 && !(row.allowed === ADMIN_API && r.status === 401)) {
          wrong.push(`${cell} (expected 403/404)`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('WebSocket: no token, expired and revoked are refused at the upgrade (401); every op × caller', { timeout: 120_000 }, async () => {
    const s = await startServer({ rateLimits: false });
    const { token, fixture } = await setUp(s);
    for (const caller of UNAUTHENTICATED) {
      const t = await token(caller);
      await expect(s.connect(t ?? '')).rejects.toThrow(/upgrade refused: 401/);
    }
    const wrong: string[] = [];
    for (const [name, op] of Object.entries(WS)) {
      for (const caller of USERS) {
        const f = await fixture();
        const c = await s.connect((await token(caller))!);
        const reply = await c.request(op.frame(f));
        const cell = `${name} as ${caller} → ${JSON.stringify(reply).slice(0, 120)}`;
        const refused = reply.op === 'error' && (reply.code === 'forbidden' || reply.code === 'not_found');
        if (reply.op === 'error' && !refused) wrong.push(`${cell} (unexpected error)`);
        else if (op.allowed.includes(caller) === refused) wrong.push(`${cell} (expected ${op.allowed.includes(caller) ? 'allowed' : 'refused'})`);
        c.close();
      }
    }
    expect(wrong).toEqual([]);
  });
});
