/** Dev login, token refresh, own profile and user lookup. */

import { DEFAULT_LIMITS, ImError, isValidId, validateDevAuth, validateProfilePatch } from '@miniim/protocol';
import type { FastifyInstance } from 'fastify';
import type { StoredUser } from '../storage/storage.js';
import { authenticate, bearer, type HttpContext, queryIdList } from './context.js';

export function publicUser(u: StoredUser) {
  return { id: u.id, nickname: u.nickname, avatarUrl: u.avatarUrl };
}

export function registerAuthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/api/auth/dev', async (req) => {
    if (!ctx.config.devLogin) throw new ImError('not_found', `no route POST /api/auth/dev`);
    const body = validateDevAuth(req.body);
    const user = await ctx.storage.upsertUser(body.userId, body);
    const { token, expiresAt } = await ctx.tokens.issue(user.id);
    return { token, expiresAt, user: publicUser(user) };
  });

  app.post('/api/auth/refresh', async (req) => {
    const r = await ctx.tokens.refresh(bearer(req));
    const user = await ctx.storage.getUser(r.userId);
    if (!user) throw new ImError('unauthorized', 'unknown user');
    return { token: r.token, expiresAt: r.expiresAt, user: publicUser(user) };
  });

  app.get('/api/me', async (req) => {
    const uid = await authenticate(ctx, req);
    const user = await ctx.storage.getUser(uid);
    if (!user) throw new ImError('unauthorized', 'unknown user');
    return publicUser(user);
  });

  app.patch('/api/me', async (req) => {
    const uid = await authenticate(ctx, req);
    const patch = validateProfilePatch(req.body);
    if (patch.nickname !== undefined && ctx.checkText) await ctx.checkText(patch.nickname, uid, 'nickname');
    const user = await ctx.storage.updateProfile(uid, patch);
    if (!user) throw new ImError('unauthorized', 'unknown user');
    return publicUser(user);
  });

  app.get<{ Params: { id: string } }>('/api/users/:id', async (req) => {
    await authenticate(ctx, req);
    if (!isValidId(req.params.id)) throw new ImError('bad_request', 'id must match ^[A-Za-z0-9_-]{1,64}$');
    const user = await ctx.storage.getUser(req.params.id);
    if (!user) throw new ImError('not_found', `user ${req.params.id} not found`);
    return publicUser(user);
  });

  // Extension: batch profile lookup, so a client can name every group member in one request.
  app.get('/api/users', async (req) => {
    await authenticate(ctx, req);
    const ids = [...new Set(queryIdList(req.query as Record<string, unknown>, 'ids', DEFAULT_LIMITS.userLookupMaxIds))];
    const found = await ctx.storage.getUsers(ids);
    return {
      users: ids.flatMap((id) => {
        const u = found.get(id);
        return u ? [publicUser(u)] : [];
      }),
    };
  });
}
