/** What HTTP routes share: the services they call and the authenticate helper. */

import { ImError, isValidId } from '@miniim/protocol';
import type { FastifyRequest } from 'fastify';
import { type AuthService, parseBearer } from '../core/auth-service.js';
import type { ConversationService } from '../core/conversation-service.js';
import type { MessageService } from '../core/message-service.js';
import type { SharedLimiter } from '../core/rate-limiter.js';
import type { UserService } from '../core/user-service.js';
import type { Logger } from '../logger.js';
import type { LoginUserLimit } from './auth-rate-limits.js';

export interface HttpContext {
  auth: AuthService;
  users: UserService;
  messages: MessageService;
  conversations: ConversationService;
  /** Which of the users have at least one live socket on any node. */
  isOnline(userIds: readonly string[]): Promise<Map<string, boolean>>;
  /** Per-user HTTP rate limit (shared with nothing else). */
  limiter: SharedLimiter;
  /** Per-user rate of a login route whose user is known only once its credential was checked (WeChat). */
  limitLogin: LoginUserLimit;
  logger: Logger;
}

/** The bearer token of a request's Authorization header, or undefined. */
export function bearer(req: FastifyRequest): string | undefined {
  return parseBearer(req.headers.authorization);
}

/** Verifies the bearer token and the per-user rate limit; returns the user id. */
export async function authenticate(ctx: Pick<HttpContext, 'auth' | 'limiter'>, req: FastifyRequest): Promise<string> {
  const { userId } = await ctx.auth.verify(bearer(req));
  const wait = await ctx.limiter.take(userId);
  if (wait > 0) throw new ImError('rate_limited', 'too many requests', wait);
  return userId;
}

/**
 * Methods of a partial update (**Extension**, docs/protocol.md): PATCH as the contract says, plus PUT
 * and POST on the same path with the same body, because `wx.request` has no PATCH.
 */
export const UPDATE_METHODS: Array<'PATCH' | 'PUT' | 'POST'> = ['PATCH', 'PUT', 'POST'];

/** Parses an optional non-negative integer query parameter strictly. */
export function queryInt(q: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) throw new ImError('bad_request', `${name} must be an integer`);
  const n = Number(v);
  if (n < min || n > max) throw new ImError('bad_request', `${name} must be between ${min} and ${max}`);
  return n;
}

/** Parses a comma-separated list of user ids (`?users=a,b`): required, at most `max`, each a valid id. */
export function queryIdList(q: Record<string, unknown>, name: string, max: number): string[] {
  const raw = q[name];
  if (typeof raw !== 'string' || raw === '') throw new ImError('bad_request', `${name} must be a comma-separated list of user ids`);
  const ids = raw.split(',');
  if (ids.length > max) throw new ImError('bad_request', `${name} must have at most ${max} entries`);
  ids.forEach((u, i) => {
    if (!isValidId(u)) throw new ImError('bad_request', `${name}[${i}] must match ^[A-Za-z0-9_-]{1,64}$`);
  });
  return ids;
}
