import type { User } from '@miniim/protocol';
import { ImError } from '@miniim/protocol';
import type { SessionEndReason } from '../close-policy.js';
import { Emitter } from '../emitter.js';
import { type HttpAdapter, trimSlash } from '../http.js';

/** A token and, when known, when it expires (epoch ms). */
export interface AuthToken {
  token: string;
  expiresAt?: number;
}

/** Payload of the `auth` event: a refreshed token to persist (the old one is revoked). */
export interface AuthRefreshed extends AuthToken {
  user?: User;
}

/** What `getToken` is told: `refresh` is true when the server refused the last token (4401 / HTTP 401). */
export interface TokenContext {
  refresh: boolean;
}

/**
 * The app's own token supply (instead of `auth`). Return the token; with `refresh: true`, a new
 * one. Return null when there is no login (with `refresh: true`: the login has ended). Throw
 * `ImError('unauthorized' | 'forbidden')` to end the login; any other throw means "try again later".
 */
export type GetToken = (ctx: TokenContext) => Promise<string | null | undefined> | string | null | undefined;

/** Result of a refresh. */
export type RefreshOutcome = { kind: 'ok'; token: string } | { kind: 'ended'; reason: SessionEndReason } | { kind: 'retry'; error: ImError };

/** Result of asking the server whether a token is good (`GET /api/me`). */
export type TokenCheck = 'valid' | 'invalid' | 'unknown';

export interface TokenKeeperOptions {
  baseUrl: string;
  http: HttpAdapter;
  auth?: AuthToken;
  getToken?: GetToken;
  /** Refresh this long before `expiresAt` (default: a tenth of the remaining lifetime, at most 5 min). */
  refreshAheadMs?: number;
  /** Longest wait for a refresh or a token check (default 10 000 ms). */
  timeoutMs?: number;
}

interface TokenKeeperEvents {
  auth: AuthRefreshed;
  ended: SessionEndReason;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Holds the login's token and refreshes it: only when the server refused it (401 / 4401)
 * and ahead of `expiresAt` — never because attempts failed for other reasons. One refresh
 * runs at a time. A refresh answered 401 (or 403) ends the login; a 5xx, a refused
 * connection or a timeout leaves the token as it is ("try again later").
 */
export class TokenKeeper extends Emitter<TokenKeeperEvents> {
  private auth: AuthToken | undefined;
  private running: Promise<RefreshOutcome> | undefined;
  private aheadTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly base: string;
  /** Refresh through the app's `getToken` (else `POST /api/auth/refresh`). */
  private readonly viaApp: boolean;

  constructor(private readonly options: TokenKeeperOptions) {
    super();
    if (!options.auth && !options.getToken) throw new TypeError('miniim: pass `auth` ({token, expiresAt}) or `getToken`');
    this.base = trimSlash(options.baseUrl);
    this.viaApp = !options.auth;
    if (options.auth) this.set(options.auth);
  }

  /** The token to use now (the app's `getToken` is asked until a refresh gave one); null when there is none. */
  async token(): Promise<string | null> {
    if (this.auth) return this.auth.token;
    const t = (await this.options.getToken?.({ refresh: false })) ?? null;
    return t;
  }

  /** Replaces the token (a new login, e.g. a silent `wx.login`). */
  set(auth: AuthToken): void {
    this.auth = { ...auth };
    this.scheduleAhead();
  }

  /**
   * Refreshes the token that the server refused. `refused` is that token: when another
   * refresh already replaced it, the current token is used as is (no second refresh).
   */
  refresh(refused?: string): Promise<RefreshOutcome> {
    if (this.running) return this.running;
    if (refused !== undefined && this.auth && this.auth.token !== refused) {
      return Promise.resolve({ kind: 'ok', token: this.auth.token });
    }
    this.running = this.doRefresh().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Asks the server whether `token` is good, for a handshake whose HTTP status was hidden (browsers). */
  async check(token: string): Promise<TokenCheck> {
    try {
      const res = await withTimeout(
        this.options.http.request({ method: 'GET', url: `${this.base}/api/me`, headers: { Authorization: `Bearer ${token}` } }),
        this.options.timeoutMs ?? 10_000,
      );
      if (res.status === 401) return 'invalid';
      return res.status >= 200 && res.status < 300 ? 'valid' : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  dispose(): void {
    if (this.aheadTimer !== undefined) clearTimeout(this.aheadTimer);
    this.aheadTimer = undefined;
  }

  private async doRefresh(): Promise<RefreshOutcome> {
    let outcome: RefreshOutcome;
    try {
      const fresh = this.viaApp || !this.auth ? await this.refreshWithApp() : await this.refreshOverHttp(this.auth.token);
      this.set(fresh);
      outcome = { kind: 'ok', token: fresh.token };
      this.emit('auth', fresh);
    } catch (e) {
      const err = e instanceof ImError ? e : new ImError('unavailable', e instanceof Error ? e.message : String(e));
      if (err.code === 'unauthorized') outcome = { kind: 'ended', reason: 'expired' };
      else if (err.code === 'forbidden') outcome = { kind: 'ended', reason: 'banned' };
      else outcome = { kind: 'retry', error: err };
    }
    if (outcome.kind === 'ended') {
      this.dispose();
      this.emit('ended', outcome.reason);
    }
    return outcome;
  }

  /** `POST /api/auth/refresh` with the current token. */
  private async refreshOverHttp(token: string): Promise<AuthRefreshed> {
    const res = await withTimeout(
      this.options.http.request({ method: 'POST', url: `${this.base}/api/auth/refresh`, headers: { Authorization: `Bearer ${token}` } }),
      this.options.timeoutMs ?? 10_000,
    );
    if (res.status === 401) throw new ImError('unauthorized', 'the token cannot be refreshed');
    if (res.status === 403) throw new ImError('forbidden', 'the account is banned');
    const body = res.data as { token?: unknown; expiresAt?: unknown; user?: User } | null;
    if (res.status !== 200 || typeof body?.token !== 'string') throw new ImError('unavailable', `refresh answered HTTP ${res.status}`);
    const fresh: AuthRefreshed = { token: body.token };
    if (typeof body.expiresAt === 'number') fresh.expiresAt = body.expiresAt;
    if (body.user) fresh.user = body.user;
    return fresh;
  }

  private async refreshWithApp(): Promise<AuthToken> {
    const t = await this.options.getToken?.({ refresh: true });
    if (!t) throw new ImError('unauthorized', 'getToken gave no token');
    return { token: t };
  }

  /** Refreshes ahead of `expiresAt`; a failed attempt is tried again later, a refused one ends the login. */
  private scheduleAhead(delayMs?: number): void {
    if (this.aheadTimer !== undefined) clearTimeout(this.aheadTimer);
    this.aheadTimer = undefined;
    const expiresAt = this.auth?.expiresAt;
    if (expiresAt === undefined) return;
    const remaining = expiresAt - Date.now();
    const ahead = this.options.refreshAheadMs ?? Math.min(300_000, Math.floor(remaining / 10));
    const wait = delayMs ?? Math.max(0, remaining - ahead);
    if (wait > MAX_TIMER_MS) return; // far away: set again by the next refresh or login
    this.aheadTimer = setTimeout(() => {
      this.aheadTimer = undefined;
      void this.refresh().then((o) => {
        if (o.kind === 'retry' && this.auth?.expiresAt !== undefined && this.auth.expiresAt > Date.now()) {
          this.scheduleAhead(Math.min(30_000, Math.max(1_000, (this.auth.expiresAt - Date.now()) / 4)));
        }
      });
    }, wait);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ImError('unavailable', 'timed out')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
