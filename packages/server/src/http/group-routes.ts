/** Group routes of the contract plus roles, transfer, disband and read-by (extensions in docs/protocol.md). */

import { ImError, isValidId, validateCreateGroup, validateGroupPatch, validateMemberPatch, validateTransfer, validateUserIds } from '@miniim/protocol';
import type { FastifyInstance } from 'fastify';
import type { GroupService } from '../core/group-service.js';
import { authenticate, type HttpContext, queryInt, UPDATE_METHODS } from './context.js';

type P = { Params: { id: string; userId?: string } };

function groupId(id: string): string {
  if (!isValidId(id)) throw new ImError('bad_request', 'id must match ^[A-Za-z0-9_-]{1,64}$');
  return id;
}

function userParam(id: string | undefined): string {
  if (!isValidId(id)) throw new ImError('bad_request', 'userId must match ^[A-Za-z0-9_-]{1,64}$');
  return id;
}

export function registerGroupRoutes(app: FastifyInstance, ctx: HttpContext, groups: GroupService): void {
  app.post('/api/groups', async (req) => {
    const uid = await authenticate(ctx, req);
    return groups.create(uid, validateCreateGroup(req.body));
  });

  app.get<P>('/api/groups/:id', async (req) => {
    const uid = await authenticate(ctx, req);
    return groups.get(uid, groupId(req.params.id));
  });

  app.route<P>({
    method: UPDATE_METHODS,
    url: '/api/groups/:id',
    handler: async (req) => {
      const uid = await authenticate(ctx, req);
      return groups.patch(uid, groupId(req.params.id), validateGroupPatch(req.body));
    },
  });

  app.delete<P>('/api/groups/:id', async (req) => {
    const uid = await authenticate(ctx, req);
    return groups.disband(uid, groupId(req.params.id));
  });

  app.get<P>('/api/groups/:id/members', async (req) => {
    const uid = await authenticate(ctx, req);
    const q = req.query as Record<string, unknown>;
    const limit = queryInt(q, 'limit', 1, 500) ?? 100;
    const cursor = typeof q.cursor === 'string' && q.cursor ? q.cursor : undefined;
    return groups.listMembers(uid, groupId(req.params.id), limit, cursor);
  });

  app.post<P>('/api/groups/:id/members', async (req) => {
    const uid = await authenticate(ctx, req);
    return groups.addMembers(uid, groupId(req.params.id), validateUserIds(req.body).userIds);
  });

  app.delete<P>('/api/groups/:id/members/:userId', async (req) => {
    const uid = await authenticate(ctx, req);
    return groups.removeMember(uid, groupId(req.params.id), userParam(req.params.userId));
  });

  app.route<P>({
    method: UPDATE_METHODS,
    url: '/api/groups/:id/members/:userId',
    handler: async (req) => {
      const uid = await authenticate(ctx, req);
      return groups.updateMember(uid, groupId(req.params.id), userParam(req.params.userId), validateMemberPatch(req.body));
    },
  });

  app.post<P>('/api/groups/:id/transfer', async (req) => {
    const uid = await authenticate(ctx, req);
    return groups.transfer(uid, groupId(req.params.id), validateTransfer(req.body).userId);
  });

  app.get<P>('/api/groups/:id/reads', async (req) => {
    const uid = await authenticate(ctx, req);
    const q = req.query as Record<string, unknown>;
    const seq = queryInt(q, 'seq', 1, Number.MAX_SAFE_INTEGER);
    if (seq === undefined) throw new ImError('bad_request', 'seq is required');
    const limit = queryInt(q, 'limit', 1, 500) ?? 100;
    const cursor = typeof q.cursor === 'string' && isValidId(q.cursor) ? q.cursor : undefined;
    return groups.readers(uid, groupId(req.params.id), seq, limit, cursor);
  });
}
