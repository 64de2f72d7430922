import type { Logger } from 'pino';
import { MemoryTokenCache, type TokenCache } from './token-cache.js';
import type { WechatApi } from './wechat-api.js';
import { resolveApp, type WechatConfig } from './wechat-config.js';
import { isTokenError, type WechatApiError } from './wechat-errors.js';

/** Tokens are refreshed this long before WeChat says they expire. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** How long one node may hold the refresh lock (a node that dies holding it blocks the others this long at most). */
const REFRESH_LOCK_MS = 15_000;
/** How often a node waiting for another node's refresh looks for the new token. */
const REFRESH_POLL_MS = 50;

/** Locks shared by the nodes of a cluster (cluster/shared-state.ts SharedValues, structurally). */
export interface TokenLocks {
  /** The lock, or undefined while another holder has it; rejects when the store is unreachable. */
  lock(key: string, ttlMs: number): Promise<{ release(): Promise<void> } | undefined>;
}

export interface AccessTokenProviderDeps {
  api: WechatApi;
  config: WechatConfig;
  cache?: TokenCache;
  /**
   * With several nodes: only the holder of the app's lock fetches a token (a classic-mode
   * fetch, or a forced one, makes the previous token invalid); the others wait for it in the
   * shared cache. Without it (one node) the in-process single flight is enough.
   */
  locks?: TokenLocks;
  logger?: Logger;
  now?: () => number;
}

/**
 * Hands out WeChat access tokens per appid: cached until 5 minutes before
 * expiry, fetched by a single in-flight request no matter how many callers
 * ask at once (on every node, with `locks`), and refreshed once when WeChat
 * answers 40001/42001.
 * The token value is never logged.
 */
export class AccessTokenProvider {
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly cache: TokenCache;
  private readonly now: () => number;

  constructor(private readonly deps: AccessTokenProviderDeps) {
    this.cache = deps.cache ?? new MemoryTokenCache();
    this.now = deps.now ?? Date.now;
  }

  /** A valid token for the app (the first configured app when none is named). */
  async getToken(appId?: string): Promise<string> {
    const app = resolveApp(this.deps.config, appId);
    const cached = await this.cache.get(app.appId);
    if (cached && cached.refreshAt > this.now()) return cached.token;
    return this.refresh(app.appId);
  }

  /** Forget `token` (WeChat said it is invalid); the next getToken fetches a new one. */
  async invalidate(appId: string, token: string): Promise<void> {
    await this.cache.delete(appId, token);
  }

  /**
   * Runs `fn` with a token; on 40001/42001 invalidates that token, fetches a
   * fresh one and runs `fn` once more.
   */
  async call<T>(appId: string | undefined, fn: (token: string) => Promise<T>): Promise<T> {
    const app = resolveApp(this.deps.config, appId);
    const token = await this.getToken(app.appId);
    try {
      return await fn(token);
    } catch (err) {
      if (!isTokenError(err)) throw err;
      this.deps.logger?.warn({ appId: app.appId, errcode: (err as WechatApiError).errcode }, 'WeChat rejected the access token; refreshing once');
      await this.invalidate(app.appId, token);
      return fn(await this.getToken(app.appId));
    }
  }

  private refresh(appId: string): Promise<string> {
    const running = this.inflight.get(appId);
    if (running) return running;
    const p = (this.deps.locks ? this.fetchUnderLock(appId, this.deps.locks) : this.fetchToken(appId)).finally(() => this.inflight.delete(appId));
    this.inflight.set(appId, p);
    return p;
  }

  /**
   * Fetches with the cluster-wide lock held, unless another node fetched meanwhile. While
   * another node holds it, a token still valid serves; otherwise this node waits for the
   * new one. Locks unreachable, or held past their lifetime: this node fetches alone.
   */
  private async fetchUnderLock(appId: string, locks: TokenLocks): Promise<string> {
    const giveUpAt = Date.now() + REFRESH_LOCK_MS + 1000;
    for (;;) {
      let lock: { release(): Promise<void> } | undefined;
      try {
        lock = await locks.lock(`wechat-token:${appId}`, REFRESH_LOCK_MS);
      } catch (err) {
        this.deps.logger?.warn({ appId, err: (err as Error).message }, 'WeChat token lock unreachable: this node fetches the token alone');
        return this.fetchToken(appId);
      }
      const cached = await this.cache.get(appId);
      if (lock) {
        try {
          if (cached && cached.refreshAt > this.now()) return cached.token;
          return await this.fetchToken(appId);
        } finally {
          await lock.release().catch(() => {});
        }
      }
      if (cached && cached.expiresAt > this.now()) return cached.token;
      if (Date.now() > giveUpAt) return this.fetchToken(appId);
      await new Promise((resolve) => setTimeout(resolve, REFRESH_POLL_MS));
    }
  }

  private async fetchToken(appId: string): Promise<string> {
    const app = resolveApp(this.deps.config, appId);
    const mode = this.deps.config.tokenMode ?? 'stable';
    const res =
      mode === 'classic' ? await this.deps.api.getAccessToken(app.appId, app.secret) : await this.deps.api.getStableAccessToken(app.appId, app.secret);
    const lifetimeMs = res.expires_in * 1000;
    const now = this.now();
    // A short remaining lifetime (stable_token returns the remaining time of the current token)
    // is used for half its length rather than refetched on every call.
    const refreshAt = now + Math.max(lifetimeMs - TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2);
    await this.cache.set(app.appId, { token: res.access_token, expiresAt: now + lifetimeMs, refreshAt });
    this.deps.logger?.info({ appId: app.appId, mode, expiresIn: res.expires_in }, 'WeChat access token fetched');
    return res.access_token;
  }
}
