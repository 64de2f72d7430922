/** Conversations, history, read marks, HTTP send and presence. */

import { DEFAULT_LIMITS, ImError, validateConvId, validateMessageBody, validateReadBody } from '@miniim/protocol';
import type { FastifyInstance } from 'fastify';
import { authenticate, type HttpContext, queryIdList, queryInt } from './context.js';

type Q = Record<string, unknown>;

export function registerChatRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/api/conversations', async (req) => {
    const uid = await authenticate(ctx, req);
    const q = req.query as Q;
    const limit = queryInt(q, 'limit', 1, 100) ?? 50;
    const cursor = typeof q.cursor === 'string' && q.cursor !== '' ? q.cursor : undefined;
    return ctx.conversations.list(uid, limit, cursor);
  });

  app.get<{ Params: { conv: string } }>('/api/conversations/:conv/messages', async (req) => {
    const uid = await authenticate(ctx, req);
    const conv = validateConvId(req.params.conv);
    const q = req.query as Q;
    const before = queryInt(q, 'before', 1, Number.MAX_SAFE_INTEGER);
    const after = queryInt(q, 'after', 0, Number.MAX_SAFE_INTEGER);
    if (before !== undefined && after !== undefined) throw new ImError('bad_request', 'before and after cannot both be given');
    const limit = queryInt(q, 'limit', 1, DEFAULT_LIMITS.historyMaxLimit) ?? DEFAULT_LIMITS.historyDefaultLimit;
    return ctx.messages.history(uid, conv, { before, after, limit });
  });

  app.post<{ Params: { conv: string } }>('/api/conversations/:conv/read', async (req) => {
    const uid = await authenticate(ctx, req);
    const conv = validateConvId(req.params.conv);
    const { seq } = validateReadBody(req.body);
    return ctx.conversations.read(uid, conv, seq);
  });

  // Extension: how far the other member of a direct chat has read (for 已读 / 未读 after a reconnect).
  app.get<{ Params: { conv: string } }>('/api/conversations/:conv/peer-read', async (req) => {
    const uid = await authenticate(ctx, req);
    return ctx.conversations.peerRead(uid, validateConvId(req.params.conv));
  });

  app.post('/api/messages', async (req) => {
    const uid = await authenticate(ctx, req);
    const input = validateMessageBody(req.body);
    return { msg: await ctx.messages.send({ userId: uid, transport: 'http' }, input) };
  });

  app.get('/api/presence', async (req) => {
    await authenticate(ctx, req);
    const users = queryIdList(req.query as Q, 'users', DEFAULT_LIMITS.presenceMaxUsers);
    return { online: Object.fromEntries(await ctx.isOnline(users)) };
  });
}
