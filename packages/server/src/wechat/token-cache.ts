/** An access token with its absolute expiry (epoch ms). */
export interface CachedToken {
  token: string;
  expiresAt: number;
  /** When to fetch a new one (normally expiresAt - 5 min). */
  refreshAt: number;
}

/**
 * Where access tokens are kept, keyed by appid. The in-memory implementation
 * serves one node; a Redis implementation shares tokens between nodes.
 */
export interface TokenCache {
  get(appId: string): Promise<CachedToken | undefined>;
  set(appId: string, value: CachedToken): Promise<void>;
  /** Removes the entry only if it still holds `token` (compare-and-delete). */
  delete(appId: string, token: string): Promise<void>;
}

/** Process-local TokenCache. */
export class MemoryTokenCache implements TokenCache {
  private readonly map = new Map<string, CachedToken>();

  async get(appId: string): Promise<CachedToken | undefined> {
    return this.map.get(appId);
  }

  async set(appId: string, value: CachedToken): Promise<void> {
    this.map.set(appId, value);
  }

  async delete(appId: string, token: string): Promise<void> {
    if (this.map.get(appId)?.token === token) this.map.delete(appId);
  }
}
