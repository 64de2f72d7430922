/**
 * Who may call the admin API: the bearer `MINIIM_ADMIN_TOKEN` (actor `admin`, compared
 * in constant time), or a logged-in user listed in `MINIIM_ADMIN_USERS` (actor
 * `admin:<userId>`). Anything else: 401 `unauthorized` (no token, a wrong one) or 403
 * `forbidden` (a valid user token of someone who is not an admin).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ImError } from '@miniim/protocol';
import type { AuthService } from '../core/auth-service.js';
import { parseBearer } from '../core/auth-service.js';

/** The actor of calls made with the admin token. */
export const TOKEN_ACTOR = 'admin';

/** Same length, compared without an early exit: the time says nothing about the token. */
function sameSecret(given: string, want: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

export class AdminAuth {
  private readonly users: ReadonlySet<string>;

  constructor(
    private readonly auth: Pick<AuthService, 'verify'>,
    private readonly adminToken: string | undefined,
    adminUsers: readonly string[],
  ) {
    this.users = new Set(adminUsers);
  }

  /** Whether any way in is configured (else every admin route answers 401 and says how to turn it on). */
  get enabled(): boolean {
    return this.adminToken !== undefined || this.users.size > 0;
  }

  /** The actor for an `Authorization` header value; throws unauthorized/forbidden. */
  async actor(authorization: string | undefined): Promise<string> {
    const token = parseBearer(authorization);
    if (!token) throw new ImError('unauthorized', this.enabled ? 'admin token required' : 'the admin API is off: set MINIIM_ADMIN_TOKEN or MINIIM_ADMIN_USERS');
    if (this.adminToken !== undefined && sameSecret(token, this.adminToken)) return TOKEN_ACTOR;
    // Not the admin token: maybe an admin user's login token (signature, expiry, revocation checked).
    let userId: string;
    try {
      ({ userId } = await this.auth.verify(token));
    } catch {
      throw new ImError('unauthorized', 'invalid admin token');
    }
    if (!this.users.has(userId)) throw new ImError('forbidden', 'this user is not an admin');
    return `admin:${userId}`;
  }
}
