/**
 * The saved login (token in localStorage). The SDK refreshes the token itself and says when
 * a login has truly ended (`sessionEnded`); a restart, a proxy's 502 or a refused connection
 * during a deploy keeps the saved token (protocol-v1, "Which closes end a login").
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
