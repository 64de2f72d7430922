/**
 * The admin API under `/api/admin/` (docs/admin-api.md). Every route: the admin token
 * or an admin user's token (AdminAuth), request schema checked by Fastify, and one audit
 * entry written *before* the action (no action without its entry; a failed action adds
 * `<action>.failed` with the error code).
 */
import { Readable } from 'node:stream';
import { ImError } from '@miniim/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Bus } from '../cluster/bus.js';
import type { Logger } from '../logger.js';
import type { AdminAuth } from './admin-auth.js';
import { type AdminContent, parseNoticeTarget } from './admin-content.js';
import type { AdminGroups } from './admin-groups.js';
import { S } from './admin-schemas.js';
import type { AdminUsers } from './admin-users.js';
import type { AuditLog } from './audit-log.js';

export interface AdminRouteDeps {
  auth: AdminAuth;
  audit: AuditLog;
  users: AdminUsers;
  content: AdminContent;
  groups: AdminGroups;
  bus: Pick<Bus, 'nodeLoads'>;
  logger: Logger;
}

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown>; Body: Record<string, unknown> }>;

interface AdminRoute {
  method: HTTPMethods;
  url: string;
  schema: object;
  /** Dotted verb stored in the audit log. */
  action: string;
  /** What the call acts on (audit `target`). */
  target?: (req: Req) => string | undefined;
  handler: (req: Req, actor: string, reply: FastifyReply) => Promise<unknown>;
}

/** At most this many characters of a string parameter go into an audit entry. */
const DETAIL_CHARS = 200;

/** The call's parameters for the audit entry: query and body, long strings cut. */
function detailOf(req: Req): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const src of [req.query, req.body]) {
    if (!src || typeof src !== 'object') continue;
    for (const [k, v] of Object.entries(src)) out[k] = typeof v === 'string' && v.length > DETAIL_CHARS ? `${v.slice(0, DETAIL_CHARS)}…` : v;
  }
  return Object.keys(out).length ? out : undefined;
}

export function registerAdminRoutes(app: FastifyInstance, d: AdminRouteDeps): void {
  // Who is calling is settled before anything else (body parsing, validation): a caller
  // without the token learns nothing about the routes' inputs.
  const actors = new WeakMap<FastifyRequest, string>();
  const identify = async (req: FastifyRequest) => {
    try {
      actors.set(req, await d.auth.actor(req.headers.authorization));
    } catch (err) {
      d.logger.warn({ ip: req.ip, method: req.method, url: req.routeOptions.url, code: (err as ImError).code }, 'admin API call refused');
      throw err;
    }
  };
  const add = (r: AdminRoute) => {
    app.route({
      method: r.method,
      url: r.url,
      schema: r.schema,
      onRequest: identify,
      // A POST without a body (a ban with no reason) is an empty object, not a schema failure.
      preValidation: async (req) => {
        req.body ??= {};
      },
      handler: async (request, reply) => {
        const req = request as Req;
        const actor = actors.get(request)!;
        const entry = { actor, action: r.action, target: r.target?.(req), ip: req.ip, detail: detailOf(req) };
        await d.audit.record(entry);
        try {
          return await r.handler(req, actor, reply);
        } catch (err) {
          const code = err instanceof ImError ? err.code : 'internal';
          await d.audit.record({ ...entry, action: `${r.action}.failed`, detail: { ...entry.detail, code } });
          throw err;
        }
      },
    });
  };
  const p = (req: Req, name: string) => req.params[name]!;
  const q = (req: Req, name: string) => req.query[name] as string | undefined;
  const n = (req: Req, name: string) => req.query[name] as number | undefined;
  const userTarget = (req: Req) => p(req, 'id');
  const msgTarget = (req: Req) => `${p(req, 'conv')}#${p(req, 'seq')}`;

  add({
    method: 'GET',
    url: '/api/admin/stats',
    schema: S.stats,
    action: 'stats.read',
    handler: async () => {
      const nodes = await d.bus.nodeLoads();
      return { nodes, sockets: nodes.reduce((a, x) => a + x.sockets, 0), users: nodes.reduce((a, x) => a + x.users, 0), at: Date.now() };
    },
  });

  // ---- users ----
  add({
    method: 'GET',
    url: '/api/admin/users',
    schema: S.searchUsers,
    action: 'user.search',
    handler: async (req) => d.users.search(q(req, 'q')!, n(req, 'limit')!),
  });
  add({
    method: 'GET',
    url: '/api/admin/users/:id',
    schema: S.getUser,
    action: 'user.read',
    target: userTarget,
    handler: async (req) => d.users.get(p(req, 'id')),
  });
  add({
    method: 'GET',
    url: '/api/admin/users/:id/sessions',
    schema: S.userSessions,
    action: 'user.sessions',
    target: userTarget,
    handler: async (req) => d.users.sessions(p(req, 'id')),
  });
  add({
    method: 'POST',
    url: '/api/admin/users/:id/ban',
    schema: S.ban,
    action: 'user.ban',
    target: userTarget,
    handler: async (req, actor) => d.users.ban(p(req, 'id'), actor, req.body?.reason as string | undefined),
  });
  add({
    method: 'DELETE',
    url: '/api/admin/users/:id/ban',
    schema: S.unban,
    action: 'user.unban',
    target: userTarget,
    handler: async (req) => d.users.unban(p(req, 'id')),
  });
  add({
    method: 'GET',
    url: '/api/admin/users/:id/export',
    schema: S.exportUser,
    action: 'user.export',
    target: userTarget,
    handler: async (req) => d.users.export(p(req, 'id')),
  });
  add({
    method: 'DELETE',
    url: '/api/admin/users/:id',
    schema: S.eraseUser,
    action: 'user.erase',
    target: userTarget,
    handler: async (req) => d.users.erase(p(req, 'id')),
  });

  // ---- messages ----
  add({
    method: 'GET',
    url: '/api/admin/messages/:id',
    schema: S.messageById,
    action: 'message.read',
    target: (req) => p(req, 'id'),
    handler: async (req) => d.content.getById(p(req, 'id')),
  });
  add({
    method: 'GET',
    url: '/api/admin/conversations/:conv/messages/:seq',
    schema: S.message,
    action: 'message.read',
    target: msgTarget,
    handler: async (req) => d.content.get(p(req, 'conv'), Number(p(req, 'seq'))),
  });
  add({
    method: 'DELETE',
    url: '/api/admin/conversations/:conv/messages/:seq',
    schema: S.removeMessage,
    action: 'message.remove',
    target: msgTarget,
    handler: async (req) => d.content.remove(p(req, 'conv'), Number(p(req, 'seq'))),
  });
  add({
    method: 'GET',
    url: '/api/admin/conversations/:conv/export',
    schema: S.exportConversation,
    action: 'conversation.export',
    target: (req) => p(req, 'conv'),
    handler: async (req, _actor, reply) => {
      const lines = await d.content.exportConversation(p(req, 'conv'));
      return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(lines));
    },
  });

  // ---- groups ----
  const groupTarget = (req: Req) => p(req, 'id');
  add({
    method: 'GET',
    url: '/api/admin/groups',
    schema: S.listGroups,
    action: 'group.list',
    handler: async (req) => d.groups.list(n(req, 'limit')!, q(req, 'cursor')),
  });
  add({
    method: 'GET',
    url: '/api/admin/groups/:id',
    schema: S.getGroup,
    action: 'group.read',
    target: groupTarget,
    handler: async (req) => d.groups.get(p(req, 'id')),
  });
  add({
    method: 'GET',
    url: '/api/admin/groups/:id/members',
    schema: S.groupMembers,
    action: 'group.members',
    target: groupTarget,
    handler: async (req) => d.groups.members(p(req, 'id'), n(req, 'limit')!, q(req, 'cursor')),
  });
  add({
    method: 'DELETE',
    url: '/api/admin/groups/:id',
    schema: S.dissolveGroup,
    action: 'group.dissolve',
    target: groupTarget,
    handler: async (req) => d.groups.dissolve(p(req, 'id')),
  });
  add({
    method: 'POST',
    url: '/api/admin/groups/:id/transfer',
    schema: S.transferGroup,
    action: 'group.transfer',
    target: groupTarget,
    handler: async (req) => d.groups.transfer(p(req, 'id'), req.body.userId as string),
  });
  add({
    method: 'POST',
    url: '/api/admin/groups/:id/mute',
    schema: S.muteGroup,
    action: 'group.mute',
    target: groupTarget,
    handler: async (req) => d.groups.mute(p(req, 'id'), req.body.muted as boolean),
  });
  add({
    method: 'POST',
    url: '/api/admin/groups/:id/members/:userId/mute',
    schema: S.muteMember,
    action: 'group.mute_member',
    target: (req) => `${p(req, 'id')}/${p(req, 'userId')}`,
    handler: async (req) => d.groups.muteMember(p(req, 'id'), p(req, 'userId'), req.body.mutedUntil as number),
  });

  // ---- notices and the audit log ----
  add({
    method: 'POST',
    url: '/api/admin/notices',
    schema: S.notice,
    action: 'notice.send',
    target: (req) => String(req.body?.to ?? ''),
    handler: async (req) => d.content.notice(parseNoticeTarget(req.body.to as string), req.body.text as string),
  });
  add({
    method: 'GET',
    url: '/api/admin/audit',
    schema: S.audit,
    action: 'audit.read',
    handler: async (req) => {
      const filter: Record<string, string | number> = {};
      for (const k of ['actor', 'action', 'target', 'since', 'until'] as const) {
        const v = req.query[k];
        if (v !== undefined) filter[k] = v as string | number;
      }
      const page = await d.audit.list(filter, n(req, 'limit')!, q(req, 'cursor'));
      return page.nextCursor ? { entries: page.rows, nextCursor: page.nextCursor } : { entries: page.rows };
    },
  });
}
