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

/** The shared store a cluster keeps tokens in (cluster/shared-state.ts SharedValues, structurally). */
export interface TokenStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  deleteIf(key: string, value: string): Promise<void>;
}

/**
 * Tokens shared by every node (one Redis key per app, expiring with the token). A copy is
 * kept in memory and answers while the shared store cannot: an outage never stops WeChat calls.
 */
export class SharedTokenCache implements TokenCache {
  private readonly local = new MemoryTokenCache();

  constructor(
    private readonly store: TokenStore,
    private readonly now: () => number = Date.now,
  ) {}

  private key(appId: string): string {
    return `wechat-token:${appId}`;
  }

  async get(appId: string): Promise<CachedToken | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.store.get(this.key(appId));
    } catch {
      return this.local.get(appId);
    }
    const v = raw === undefined ? undefined : (JSON.parse(raw) as CachedToken);
    if (v) await this.local.set(appId, v);
    return v;
  }

  async set(appId: string, value: CachedToken): Promise<void> {
    await this.local.set(appId, value);
    await this.store.set(this.key(appId), JSON.stringify(value), value.expiresAt - this.now()).catch(() => {});
  }

  async delete(appId: string, token: string): Promise<void> {
    await this.local.delete(appId, token);
    try {
      const raw = await this.store.get(this.key(appId));
      if (raw !== undefined && (JSON.parse(raw) as CachedToken).token === token) await this.store.deleteIf(this.key(appId), raw);
    } catch {
      // The shared copy expires with the token; WeChat's 40001 brings the next caller here again.
    }
  }
}
