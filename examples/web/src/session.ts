/**
 * The saved login (token in localStorage) and its refresh. Only a refresh answered 401
 * ends the login; a 5xx, a proxy's 502 or a refused connection during a deploy keeps the
 * token and is retried later by the SDK (protocol-v1, "Which closes end a login").
 */
import type { User } from '@miniim/sdk/web';

export interface Auth {
  token: string;
  expiresAt?: number;
  user: User;
}

const AUTH_KEY = 'miniim:web:auth';

export function loadAuth(): Auth | undefined {
  try {
    const raw = localStorage.getItem(AUTH_KEY);
    const a = raw ? (JSON.parse(raw) as Auth) : undefined;
    return a && typeof a.token === 'string' && a.user?.id ? a : undefined;
  } catch {
    return undefined;
  }
}

export function saveAuth(a: Auth): void {
  localStorage.setItem(AUTH_KEY, JSON.stringify(a));
}

export function clearAuth(): void {
  localStorage.removeItem(AUTH_KEY);
}

/** Thrown when the server refused the token for good (refresh answered 401). */
export class LoginEnded extends Error {
  constructor() {
    super('login ended');
  }
}

/**
 * Holds the current login and refreshes it once at a time: each refresh revokes the old
 * session, so two parallel refreshes of the same token would end the login.
 */
export class Session {
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly baseUrl: string,
    public auth: Auth,
  ) {}

  get token(): string {
    return this.auth.token;
  }

  /** A fresh token; rejects with `LoginEnded` on 401 and with the cause otherwise (the SDK retries later). */
  refresh(): Promise<string> {
    if (this.inflight) return this.inflight;
    const p = (async () => {
      const res = await fetch(`${this.baseUrl}/api/auth/refresh`, { method: 'POST', headers: { Authorization: `Bearer ${this.auth.token}` } });
      if (res.status === 401) throw new LoginEnded();
      if (!res.ok) throw new Error(`refresh answered HTTP ${res.status}; keeping the token`);
      const body = (await res.json()) as Auth;
      this.auth = { token: body.token, expiresAt: body.expiresAt, user: body.user };
      saveAuth(this.auth);
      return this.auth.token;
    })().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = p;
    return p;
  }
}
