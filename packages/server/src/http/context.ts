/** What HTTP routes share: services and the authenticate helper. */

import { ImError, isValidId } from '@miniim/protocol';
import type { FastifyRequest } from 'fastify';
import type { Bus } from '../cluster/bus.js';
import type { Config } from '../config/config.js';
import type { ConversationService } from '../core/conversation-service.js';
import type { MessageService } from '../core/message-service.js';
import type { RateLimiter } from '../core/rate-limiter.js';
import type { TokenService } from '../core/token-service.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ModerationScene } from '../moderation/moderation-types.js';
import type { Storage } from '../storage/storage.js';

export interface HttpContext {
  config: Config;
  storage: Storage;
  bus: Bus;
  tokens: TokenService;
  messages: MessageService;
  conversations: ConversationService;
  logger: Logger;
  metrics: Metrics;
  limiter: RateLimiter;
  /** Ready check of the whole server (storage + bus). */
  ready: () => Promise<void>;
  /** Content-safety check of user text (nickname…); throws content_rejected / unavailable. */
  checkText?: (text: string, userId: string, scene: ModerationScene) => Promise<void>;
}

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** Verifies the bearer token and the per-user rate limit; returns the user id. */
export async function authenticate(ctx: HttpContext, req: FastifyRequest): Promise<string> {
  const { userId } = await ctx.tokens.verify(bearer(req));
  const wait = ctx.limiter.take(`http:${userId}`);
  if (wait > 0) throw new ImError('rate_limited', 'too many requests', wait);
  return userId;
}

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
