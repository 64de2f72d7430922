/**
 * Authentication: every login (dev login, WeChat login), token refresh and every
 * token check (HTTP routes, the WebSocket upgrade) goes through this service.
 * Tokens themselves are signed and checked by TokenService; users and profiles
 * live in UserService. Transport-free.
 */
import { ImError, type User, validateDevAuth } from '@miniim/protocol';
import type { SessionRevocations } from './session-revocations.js';
import type { TokenClaims, TokenService } from './token-service.js';
import { ownProfile, type UserService } from './user-service.js';

/** A verified login: who, which stored session, until when. */
export type AuthSession = TokenClaims;

/** What a login or a refresh answers (the `/api/auth/*` response body). */
export interface LoginResult {
  token: string;
  expiresAt: number;
  user: User;
}

export interface AuthServiceDeps {
  tokens: TokenService;
  users: UserService;
  /** Whether `POST /api/auth/dev` (log in as any user id) is on. */
  devLogin: boolean;
  /** Where ended sessions are announced, so live sockets opened with them close at once. */
  revocations: SessionRevocations;
  /** Whether the user is banned (the admin API); a banned user's logins and refreshes answer 403 `forbidden`. */
  isBanned?: (userId: string) => Promise<boolean>;
}

/**
 * The token of an `Authorization: Bearer <token>` header value, or undefined.
 * The only place a bearer header is parsed.
 */
export function parseBearer(authorization: string | undefined): string | undefined {
  return authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
}

export class AuthService {
  constructor(private readonly d: AuthServiceDeps) {}

  /** Signature, expiry and that the session was not revoked; throws ImError('unauthorized'). */
  verify(token: string | undefined): Promise<AuthSession> {
    return this.d.tokens.verify(token);
  }

  /** `verify` plus the user's profile (the WebSocket `hello`); unauthorized when the user is gone. */
  async verifyWithUser(token: string | undefined): Promise<{ session: AuthSession; user: User }> {
    const { claims, user } = await this.d.tokens.verifyWithUser(token);
    return { session: claims, user: ownProfile(user) };
  }

  /** Development login as any user id (`{userId, nickname?, avatarUrl?}`); not_found when dev login is off. */
  async devLogin(body: unknown): Promise<LoginResult> {
    if (!this.d.devLogin) throw new ImError('not_found', 'no route POST /api/auth/dev');
    const { userId, ...profile } = validateDevAuth(body);
    return this.login(userId, profile);
  }

  /**
   * Logs a user in whose identity was proven elsewhere (WeChat code2session…):
   * creates or updates the user and starts a session.
   */
  async login(userId: string, profile: { nickname?: string; avatarUrl?: string }, opts: { defaultNickname?: string } = {}): Promise<LoginResult> {
    await this.refuseBanned(userId);
    const user = await this.d.users.upsertOnLogin(userId, profile, opts.defaultNickname);
    const { token, expiresAt } = await this.d.tokens.issue(user.id);
    return { token, expiresAt, user };
  }

  /** A fresh token for a valid one; the old session is revoked and its sockets closed (4401). Banned users: forbidden. */
  async refresh(token: string | undefined): Promise<LoginResult> {
    // A ban revoked the user's sessions: say `forbidden` (the login is over), not `unauthorized` (log in again).
    await this.refuseBanned(this.d.tokens.verifySignature(token).userId);
    const r = await this.d.tokens.refresh(token);
    this.d.revocations.emit({ userId: r.userId, sessionId: r.revokedSessionId, reason: 'refresh' });
    return { token: r.token, expiresAt: r.expiresAt, user: await this.d.users.me(r.userId) };
  }

  private async refuseBanned(userId: string): Promise<void> {
    if (await this.d.isBanned?.(userId)) throw new ImError('forbidden', 'this account is banned');
  }

  /** Ends the token's session (`POST /api/auth/logout`); its sockets get `kicked {reason: "logout"}` and 4401. */
  async logout(token: string | undefined): Promise<void> {
    const claims = await this.d.tokens.revoke(token);
    this.d.revocations.emit({ userId: claims.userId, sessionId: claims.sessionId, reason: 'logout' });
  }
}
