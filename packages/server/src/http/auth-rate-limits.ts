/**
 * Rates on the login routes: per client address and per user on `/api/auth/wechat`,
 * `/api/auth/refresh` and `/api/auth/logout` (429 `rate_limited` with `retryAfterMs`),
 * and on dev login when it is reachable beyond loopback. Dev login from loopback stays
 * unlimited (test suites log in hundreds of users at once).
 *
 * Refresh and logout name their user in the bearer token, so their per-user rate is taken
 * before the route runs. A WeChat login names no user until its code was exchanged: its
 * per-user rate (per openid: the user id derives from it) is taken by the route right after
 * code2Session, before any session row is written (the function this returns).
 */
import { ImError } from '@miniim/protocol';
import type { FastifyInstance } from 'fastify';
import type { SharedState } from '../cluster/shared-state.js';
import { isLoopbackHost } from '../config/config.js';
import { bearer } from './context.js';

/** Sustained per minute, burst at once. */
const PER_IP = { perMin: 60, burst: 30 };
const PER_USER = { perMin: 20, burst: 10 };
const LIMITED = new Set(['/api/auth/wechat', '/api/auth/refresh', '/api/auth/logout', '/api/auth/dev']);

/** The user a bearer token names, read without checking it (only to pick a rate bucket). */
function tokenUser(token: string | undefined): string | undefined {
  const data = token?.split('.')[0];
  if (!data) return undefined;
  try {
    const u = JSON.parse(Buffer.from(data, 'base64url').toString('utf8'))?.u;
    return typeof u === 'string' ? u.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

/** Per-user rate of a login route whose user is known only after its credential was checked; rejects with rate_limited. */
export type LoginUserLimit = (route: string, userId: string) => Promise<void>;

/** The buckets are shared by every node of a cluster (per node while Redis is unreachable). */
export function registerAuthRateLimits(app: FastifyInstance, opts: { shared: SharedState; enabled: boolean }): LoginUserLimit {
  const byIp = opts.shared.limiter('auth-ip', PER_IP.perMin / 60, PER_IP.burst, opts.enabled);
  const byUser = opts.shared.limiter('auth-user', PER_USER.perMin / 60, PER_USER.burst, opts.enabled);
  app.addHook('onRequest', async (req) => {
    if (req.method !== 'POST') return;
    const route = req.url.split('?')[0]!;
    if (!LIMITED.has(route)) return;
    if (route === '/api/auth/dev' && isLoopbackHost(req.ip)) return;
    let wait = await byIp.take(`${route}:${req.ip}`);
    const user = wait === 0 && route !== '/api/auth/dev' && route !== '/api/auth/wechat' ? tokenUser(bearer(req)) : undefined;
    if (user !== undefined) wait = await byUser.take(`${route}:${user}`);
    if (wait > 0) throw new ImError('rate_limited', 'too many login requests', wait);
  });
  return async (route, userId) => {
    const wait = await byUser.take(`${route}:${userId}`);
    if (wait > 0) throw new ImError('rate_limited', 'too many logins of this user', wait);
  };
}
