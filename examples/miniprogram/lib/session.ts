/**
 * The app's one IM session: login (WeChat or dev), the saved token, the SDK client from
 * `createWxClient`, a nickname/avatar cache, drafts, uploads with progress and the
 * subscribe-message report. Pages reach it through `getSession()` (lib/app-session.ts);
 * tests build one with the fake `wx` runtime.
 */
import {
  type AuthResponse,
  type ConnectionState,
  createWxClient,
  devLogin,
  ImError,
  type MediaUploadResponse,
  toImError,
  type User,
  type WxClient,
  wechatLogin,
  wxHttp,
} from '@miniim/sdk/wx';
import type { AppWx } from './app-wx.js';

const AUTH_KEY = 'miniim:auth';
const DRAFTS_KEY = 'miniim:drafts';

/** Options of a session. */
export interface SessionOptions {
  wx: AppWx;
  /** HTTP base of the server (the socket uses the same host with ws:// or wss://). */
  baseUrl: string;
  /** Sent with the WeChat login (`{code, appId}`). */
  appId?: string;
  /** Extra client options (tests shorten the reconnect backoff). */
  clientOptions?: { backoff?: { baseMs?: number; maxMs?: number }; persistence?: false };
}

/** "连接中…" while not connected, "" when connected: the subtle connection hint of every page. */
export function connectionText(state: ConnectionState): string {
  return state === 'connected' ? '' : state === 'disconnected' ? '未连接' : '连接中…';
}

/** One logged-in user's IM session. */
export class ImSession {
  readonly wx: AppWx;
  readonly baseUrl: string;
  client: WxClient | undefined;
  user: User | undefined;
  private auth: AuthResponse | undefined;
  private readonly users = new Map<string, User>();
  private readonly pendingUsers = new Map<string, Promise<User | undefined>>();
  private drafts: Record<string, string>;

  constructor(private readonly options: SessionOptions) {
    this.wx = options.wx;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.drafts = readJson<Record<string, string>>(this.wx, DRAFTS_KEY) ?? {};
  }

  /** True when logged in (a client exists). */
  get loggedIn(): boolean {
    return this.client !== undefined;
  }

  /** Resumes the saved login, if any (does not check it with the server: the socket will). */
  restore(): boolean {
    const saved = readJson<AuthResponse>(this.wx, AUTH_KEY);
    if (!saved?.token || !saved.user?.id) return false;
    this.start(saved);
    return true;
  }

  /** `wx.login` → `POST /api/auth/wechat` through the SDK helper. */
  async loginWechat(): Promise<User> {
    const res = await wechatLogin(this.baseUrl, this.options.appId ? { appId: this.options.appId } : {}, this.wx);
    return this.start(res);
  }

  /** `POST /api/auth/dev {userId, nickname}` (only where the server enables it). */
  async loginDev(userId: string, nickname?: string): Promise<User> {
    const input: { userId: string; nickname?: string } = { userId };
    if (nickname) input.nickname = nickname;
    return this.start(await devLogin(wxHttp(this.wx), this.baseUrl, input));
  }

  /** Whether the server has dev login on: an empty body gets 400 when on, 404 when off. */
  async devLoginAvailable(): Promise<boolean> {
    try {
      const res = await wxHttp(this.wx).request({
        method: 'POST',
        url: `${this.baseUrl}/api/auth/dev`,
        headers: {},
        body: {},
      });
      return res.status !== 404 && res.status < 500;
    } catch {
      return false;
    }
  }

  private start(auth: AuthResponse): User {
    this.client?.dispose();
    this.auth = auth;
    this.user = auth.user;
    this.remember(auth.user);
    this.wx.setStorageSync(AUTH_KEY, JSON.stringify(auth));
    const opts = this.options.clientOptions ?? {};
    this.client = createWxClient({
      wx: this.wx,
      baseUrl: this.baseUrl,
      userId: auth.user.id,
      getToken: ({ refresh }) => (refresh ? this.refreshToken() : (this.auth?.token ?? null)),
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.persistence === false ? { persistence: false } : {}),
    });
    this.client.on('synced', ({ user }) => {
      this.user = user;
      this.remember(user);
    });
    void this.client.connect();
    return auth.user;
  }

  private async refreshToken(): Promise<string | null> {
    const token = this.auth?.token;
    if (!token) return null;
    try {
      const res = await wxHttp(this.wx).request({
        method: 'POST',
        url: `${this.baseUrl}/api/auth/refresh`,
        headers: { Authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) return null;
      this.auth = res.data as AuthResponse;
      this.wx.setStorageSync(AUTH_KEY, JSON.stringify(this.auth));
      return this.auth.token;
    } catch {
      return token;
    }
  }

  /** Logs out: closes the client, forgets the token and the cache. */
  async logout(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.auth = undefined;
    this.user = undefined;
    this.wx.removeStorageSync(AUTH_KEY);
    if (c) {
      c.dispose();
      await c.close();
    }
  }

  /** The client, or an `unauthorized` error when nobody is logged in. */
  need(): WxClient {
    if (!this.client) throw new ImError('unauthorized', '未登录');
    return this.client;
  }

  // ---- users ----

  /** A known user (nickname and avatar), or undefined. */
  userOf(id: string): User | undefined {
    return this.users.get(id);
  }

  /** Display name of a user id (nickname when known). */
  nameOf(id: string): string {
    return this.users.get(id)?.nickname || id;
  }

  /** Records users seen elsewhere (conversation peers, login). */
  remember(u: User | undefined): void {
    if (u?.id) this.users.set(u.id, u);
  }

  /** Fetches unknown users (`GET /api/users/:id`); resolves when all are known or failed. */
  async lookupUsers(ids: string[]): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    const wanted = [...new Set(ids)].filter((id) => id && !this.users.has(id));
    if (wanted.length === 0) return false;
    await Promise.all(
      wanted.map((id) => {
        let p = this.pendingUsers.get(id);
        if (!p) {
          p = client
            .getUser(id)
            .then((u) => {
              this.remember(u);
              return u;
            })
            .catch(() => undefined)
            .finally(() => this.pendingUsers.delete(id));
          this.pendingUsers.set(id, p);
        }
        return p;
      }),
    );
    return true;
  }

  // ---- profile ----

  /** Uploads a new avatar (a temp path from `chooseAvatar`) and saves the profile with `PATCH /api/me`. */
  async updateProfile(input: { nickname?: string; avatarPath?: string }): Promise<User> {
    const client = this.need();
    const patch: { nickname?: string; avatarUrl?: string } = {};
    if (input.nickname?.trim()) patch.nickname = input.nickname.trim();
    if (input.avatarPath) patch.avatarUrl = (await this.upload(input.avatarPath, 'image')).url;
    const user = await client.api.updateMe(patch);
    this.user = user;
    this.remember(user);
    if (this.auth) {
      this.auth = { ...this.auth, user };
      this.wx.setStorageSync(AUTH_KEY, JSON.stringify(this.auth));
    }
    return user;
  }

  // ---- media ----

  /**
   * Uploads a temp file to `POST /api/media` (multipart field `file`) with `wx.uploadFile`,
   * reporting progress (0–100) where the platform gives it.
   */
  upload(filePath: string, kind: string, onProgress?: (percent: number) => void): Promise<MediaUploadResponse> {
    const token = this.auth?.token;
    if (!token) return Promise.reject(new ImError('unauthorized', '未登录'));
    return new Promise((resolve, reject) => {
      const task = this.wx.uploadFile({
        url: `${this.baseUrl}/api/media`,
        filePath,
        name: 'file',
        header: { Authorization: `Bearer ${token}` },
        formData: { kind },
        success: (res) => {
          let data: unknown = null;
          try {
            data = typeof res.data === 'string' && res.data ? JSON.parse(res.data) : res.data;
          } catch {
            data = null;
          }
          if (res.statusCode >= 200 && res.statusCode < 300 && data && typeof (data as { url?: unknown }).url === 'string')
            resolve(data as MediaUploadResponse);
          else reject(toImError({ status: res.statusCode, data }));
        },
        fail: (err) => reject(new ImError('unavailable', err.errMsg)),
      }) as WechatMiniprogram.UploadTask | undefined;
      if (onProgress && task && typeof task.onProgressUpdate === 'function') task.onProgressUpdate((p) => onProgress(p.progress));
    });
  }

  // ---- drafts ----

  /** The unsent text of a conversation. */
  draft(conv: string): string {
    return this.drafts[conv] ?? '';
  }

  /** Keeps a draft in memory and in storage, so neither a reconnect nor a restart loses it. */
  setDraft(conv: string, text: string): void {
    if ((this.drafts[conv] ?? '') === text) return;
    if (text) this.drafts[conv] = text;
    else delete this.drafts[conv];
    this.wx.setStorageSync(DRAFTS_KEY, JSON.stringify(this.drafts));
  }

  // ---- offline notifications ----

  /**
   * Reports a `wx.requestSubscribeMessage` result to `POST /api/wechat/subscribe` as
   * `{results: {tmplId: "accept" | "reject" | …}, appId}`. A 404 means the server has no WeChat
   * integration configured; 403 means this account did not log in with WeChat (dev login).
   */
  async reportSubscribe(result: Record<string, unknown>): Promise<'ok' | 'not_configured' | 'needs_wechat'> {
    const { errMsg: _errMsg, ...results } = result;
    const body: { results: Record<string, unknown>; appId?: string } = { results };
    if (this.options.appId && this.options.appId !== 'touristappid') body.appId = this.options.appId;
    try {
      await this.need().api.call('POST', '/api/wechat/subscribe', body);
      return 'ok';
    } catch (err) {
      if (err instanceof ImError && err.code === 'not_found') return 'not_configured';
      if (err instanceof ImError && err.code === 'forbidden') return 'needs_wechat';
      throw err;
    }
  }
}

function readJson<T>(wxApi: AppWx, key: string): T | undefined {
  try {
    const raw = wxApi.getStorageSync(key) as unknown;
    if (!raw) return undefined;
    return (typeof raw === 'string' ? JSON.parse(raw) : raw) as T;
  } catch {
    return undefined;
  }
}
