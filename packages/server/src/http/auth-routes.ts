/** Dev login, token refresh, own profile and user lookup: thin HTTP over AuthService and UserService. */

import { DEFAULT_LIMITS, ImError, isValidId } from '@miniim/protocol';
import type { FastifyInstance } from 'fastify';
import { authenticate, bearer, type HttpContext, queryIdList, UPDATE_METHODS } from './context.js';

export function registerAuthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/api/auth/dev', async (req) => ctx.auth.devLogin(req.body));

  app.post('/api/auth/refresh', async (req) => ctx.auth.refresh(bearer(req)));

  // Extension: ends this token's session; sockets opened with it are closed (kicked logout, 4401).
  app.post('/api/auth/logout', async (req) => {
    await ctx.auth.logout(bearer(req));
    return { ok: true };
  });

  app.get('/api/me', async (req) => ctx.users.me(await authenticate(ctx, req)));

  app.route({
    method: UPDATE_METHODS,
    url: '/api/me',
    handler: async (req) => ctx.users.updateProfile(await authenticate(ctx, req), req.body),
  });

  app.get<{ Params: { id: string } }>('/api/users/:id', async (req) => {
    await authenticate(ctx, req);
    if (!isValidId(req.params.id)) throw new ImError('bad_request', 'id must match ^[A-Za-z0-9_-]{1,64}$');
    return ctx.users.get(req.params.id);
  });

  // Extension: batch profile lookup, so a client can name every group member in one request.
  app.get('/api/users', async (req) => {
    await authenticate(ctx, req);
    const ids = [...new Set(queryIdList(req.query as Record<string, unknown>, 'ids', DEFAULT_LIMITS.userLookupMaxIds))];
    return { users: await ctx.users.getMany(ids) };
  });
}
