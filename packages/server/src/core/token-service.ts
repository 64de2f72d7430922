/**
 * Signed bearer tokens: base64url(JSON {u, s, e}) + "." + base64url(HMAC-SHA256).
 * Each token belongs to a stored session, so refresh and revoke are possible.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ImError } from '@miniim/protocol';
import type { SessionRepo, SessionRow, StoredUser } from '../storage/storage.js';
import { newSessionId } from './ids.js';

export interface TokenClaims {
  userId: string;
  sessionId: string;
  expiresAt: number;
}

/** The stored session must exist, belong to the token's user and not be revoked. */
function checkSession(claims: TokenClaims, session: SessionRow | undefined): void {
  if (!session || session.userId !== claims.userId) throw new ImError('unauthorized', 'unknown session');
  if (session.revokedAt !== undefined) throw new ImError('unauthorized', 'session revoked');
}

export class TokenService {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly ttlMs: number,
    private readonly sessions: SessionRepo,
  ) {
    this.key = Buffer.from(secret, 'utf8');
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  /** Starts a new session for the user and returns its token. */
  async issue(userId: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const sessionId = newSessionId();
    const expiresAt = now + this.ttlMs;
    await this.sessions.createSession({ id: sessionId, userId, createdAt: now, expiresAt });
    const data = Buffer.from(JSON.stringify({ u: userId, s: sessionId, e: expiresAt })).toString('base64url');
    return { token: `${data}.${this.sign(data)}`, expiresAt };
  }

  /** Checks signature and expiry only (no storage round-trip): for the hot path. */
  verifySignature(token: string | undefined, now = Date.now()): TokenClaims {
    if (!token) throw new ImError('unauthorized', 'missing token');
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 2048) throw new ImError('unauthorized', 'malformed token');
    const data = token.slice(0, dot);
    // Compare the canonical text of the signature, not decoded bytes: base64 decoders accept
    // other spellings of the same bytes (padding, non-zero trailing bits, the +/ alphabet).
    const given = Buffer.from(token.slice(dot + 1), 'utf8');
    const want = Buffer.from(this.sign(data), 'utf8');
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      throw new ImError('unauthorized', 'invalid token');
    }
    let claims: { u?: unknown; s?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(data, 'base64url').toString('utf8'));
    } catch {
      throw new ImError('unauthorized', 'malformed token');
    }
    if (typeof claims.u !== 'string' || typeof claims.s !== 'string' || typeof claims.e !== 'number') {
      throw new ImError('unauthorized', 'malformed token');
    }
    if (claims.e <= now) throw new ImError('unauthorized', 'token expired');
    return { userId: claims.u, sessionId: claims.s, expiresAt: claims.e };
  }

  /** Signature, expiry and that the session was not revoked. */
  async verify(token: string | undefined, now = Date.now()): Promise<TokenClaims> {
    const claims = this.verifySignature(token, now);
    checkSession(claims, await this.sessions.getSession(claims.sessionId));
    return claims;
  }

  /**
   * `verify` plus the session's user, read in the same storage query (the WebSocket upgrade:
   * one round trip instead of two per reconnect); `user` is undefined when the user is gone.
   */
  async verifyWithUser(token: string | undefined, now = Date.now()): Promise<{ claims: TokenClaims; user?: StoredUser }> {
    const claims = this.verifySignature(token, now);
    const found = await this.sessions.getSessionWithUser(claims.sessionId);
    checkSession(claims, found?.session);
    return { claims, user: found?.user };
  }

  /** Issues a fresh token and revokes the old session. */
  async refresh(token: string | undefined, now = Date.now()) {
    const claims = await this.verify(token, now);
    const next = await this.issue(claims.userId, now);
    await this.sessions.revokeSession(claims.sessionId, now);
    return { ...next, userId: claims.userId, revokedSessionId: claims.sessionId };
  }

  /** Revokes the token's session (logout); returns its claims. */
  async revoke(token: string | undefined, now = Date.now()): Promise<TokenClaims> {
    const claims = await this.verify(token, now);
    await this.sessions.revokeSession(claims.sessionId, now);
    return claims;
  }
}
