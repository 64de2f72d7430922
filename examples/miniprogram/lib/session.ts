/**
 * The app's one IM session: login (WeChat or dev), the saved token, the SDK client from
 * `createWxClient`, a nickname/avatar cache, drafts, uploads with progress and the
 * subscribe-message report. Pages reach it through `getSession()` (lib/app-session.ts);
 * tests build one with the fake `wx` runtime.
 */
import {
  type AuthResponse,
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
import { ConnectionStatus } from './connection-status.js';
import { PrivacyGate } from './privacy.js';

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

/** How the saved login was obtained: a WeChat login can be renewed silently with `wx.login`. */
type Via = 'wechat' | 'dev';
type SavedAuth = AuthResponse & { via?: Via };

/** Closes and kicks that end a login (protocol-v1, "Which closes end a login"); every other close reconnects. */
const LOGIN_ENDING_STATES = new Set(['forbidden', 'replaced', 'no_token']);
const LOGIN_ENDING_KICKS = new Set(['revoked', 'banned', 'replaced', 'logout']);

/** Why a login ended, for the login page's message. */
export type LoginEndReason = 'expired' | 'banned' | 'replaced' | 'revoked' | 'logout';

/** The user cancelled an upload. */
export class UploadCancelled extends Error {
  constructor() {
    super('upload cancelled');
  }
}

/** An upload in progress: its result, and `abort()` (the bubble's "取消"). */
export interface UploadHandle {
  done: Promise<MediaUploadResponse>;
  abort(): void;
}

/** One logged-in user's IM session. */
export class ImSession {
  readonly wx: AppWx;
  readonly baseUrl: string;
  client: WxClient | undefined;
  user: User | undefined;
  /** The 用户隐私保护指引 gate (wx.onNeedPrivacyAuthorization). */
  readonly privacy: PrivacyGate;
  /** Network + connection state: the banner of every page. */
  readonly status: ConnectionStatus;
  private auth: SavedAuth | undefined;
  private refreshing: Promise<string | null> | undefined;
  private loginEndedListeners: Array<(reason: LoginEndReason) => void> = [];
  private hidden = false;
  private readonly users = new Map<string, User>();
  private readonly pendingUsers = new Map<string, Promise<User | undefined>>();
  private drafts: Record<string, string>;

  constructor(private readonly options: SessionOptions) {
    this.wx = options.wx;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.drafts = readJson<Record<string, string>>(this.wx, DRAFTS_KEY) ?? {};
    this.privacy = new PrivacyGate(this.wx);
    this.status = new ConnectionStatus(this.wx);
    this.wx.onAppHide(() => {
      this.hidden = true;
    });
    this.wx.onAppShow(() => {
      this.hidden = false;
    });
    this.status.onOnline((online) => this.onNetwork(online));
  }

  /**
   * The phone's network changed: while offline the client stops retrying (each try would only
   * fail and lengthen the backoff); when the network returns it reconnects at once.
   */
  private onNetwork(online: boolean): void {
    const client = this.client;
    if (!client) return;
    if (!online) client.pause();
    else if (!this.hidden) client.resume();
  }

  /** Called when a login truly ended (token refused for good, banned, replaced): the app shows the login page. */
  onLoginEnded(l: (reason: LoginEndReason) => void): () => void {
    this.loginEndedListeners.push(l);
    return () => {
      this.loginEndedListeners = this.loginEndedListeners.filter((x) => x !== l);
    };
  }

  private endLogin(reason: LoginEndReason): void {
    if (!this.client) return;
    void this.logout();
    for (const l of [...this.loginEndedListeners]) l(reason);
  }

  /** True when logged in (a client exists). */
  get loggedIn(): boolean {
    return this.client !== undefined;
  }

  /** Resumes the saved login, if any (does not check it with the server: the socket will). */
  restore(): boolean {
    const saved = readJson<SavedAuth>(this.wx, AUTH_KEY);
    if (!saved?.token || !saved.user?.id) return false;
    this.start(saved, saved.via ?? 'dev');
    return true;
  }

  /** `wx.login` → `POST /api/auth/wechat` through the SDK helper. */
  async loginWechat(): Promise<User> {
    const res = await wechatLogin(this.baseUrl, this.options.appId ? { appId: this.options.appId } : {}, this.wx);
    return this.start(res, 'wechat');
  }

  /** `POST /api/auth/dev {userId, nickname}` (only where the server enables it). */
  async loginDev(userId: string, nickname?: string): Promise<User> {
    const input: { userId: string; nickname?: string } = { userId };
    if (nickname) input.nickname = nickname;
    return this.start(await devLogin(wxHttp(this.wx), this.baseUrl, input), 'dev');
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

  private saveAuth(auth: AuthResponse, via: Via): void {
    this.auth = { ...auth, via };
    this.user = auth.user;
    this.remember(auth.user);
    this.wx.setStorageSync(AUTH_KEY, JSON.stringify(this.auth));
  }

  private start(auth: AuthResponse, via: Via): User {
    this.client?.dispose();
    this.saveAuth(auth, via);
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
    this.client.on('state', (c) => {
      this.status.setState(c.newState);
      if (c.newState === 'disconnected' && LOGIN_ENDING_STATES.has(c.reason))
        this.endLogin(c.reason === 'no_token' ? 'expired' : c.reason === 'forbidden' ? 'banned' : 'replaced');
    });
    this.client.on('kicked', ({ reason }) => {
      // `server_shutdown` and the like are restarts: the SDK reconnects, the user stays logged in.
      if (LOGIN_ENDING_KICKS.has(reason)) this.endLogin(reason as LoginEndReason);
    });
    this.status.setState(this.client.state);
    void this.client.connect();
    return auth.user;
  }

  /** One refresh at a time (the socket and an HTTP call may both ask). */
  private refreshToken(): Promise<string | null> {
    this.refreshing ??= this.renew().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * The server refused the token. `POST /api/auth/refresh`; on 401 the login truly ended: a WeChat
   * login is renewed silently with `wx.login` (no user action), a dev login ends (null → login
   * page). A 5xx or a network error is "retry later": the current token is kept.
   */
  private async renew(): Promise<string | null> {
    const auth = this.auth;
    if (!auth?.token) return null;
    let status: number;
    try {
      const res = await wxHttp(this.wx).request({
        method: 'POST',
        url: `${this.baseUrl}/api/auth/refresh`,
        headers: { Authorization: `Bearer ${auth.token}` },
      });
      status = res.status;
      if (status === 200) {
        this.saveAuth(res.data as AuthResponse, auth.via ?? 'dev');
        return this.auth?.token ?? null;
      }
    } catch {
      return auth.token;
    }
    if (status !== 401 && status !== 403) return auth.token;
    if (auth.via !== 'wechat') return null;
    try {
      const fresh = await wechatLogin(this.baseUrl, this.options.appId ? { appId: this.options.appId } : {}, this.wx);
      this.saveAuth(fresh, 'wechat');
      return fresh.token;
    } catch (err) {
      // A refused code or account ends the login; an unreachable server is retried later.
      return err instanceof ImError && err.code !== 'unavailable' && err.code !== 'rate_limited' ? null : auth.token;
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
    if (this.auth) this.saveAuth({ ...this.auth, user }, this.auth.via ?? 'dev');
    return user;
  }

  // ---- media ----

  /**
   * Uploads a temp file to `POST /api/media` (multipart field `file`) with `wx.uploadFile`,
   * reporting progress (0–100) from the `UploadTask`; `abort()` cancels it (the promise then
   * rejects with `UploadCancelled`).
   */
  startUpload(filePath: string, kind: string, onProgress?: (percent: number) => void): UploadHandle {
    const token = this.auth?.token;
    let task: WechatMiniprogram.UploadTask | undefined;
    let aborted = false;
    const done = new Promise<MediaUploadResponse>((resolve, reject) => {
      if (!token) {
        reject(new ImError('unauthorized', '未登录'));
        return;
      }
      task = this.wx.uploadFile({
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
        fail: (err) => reject(aborted ? new UploadCancelled() : new ImError('unavailable', err.errMsg)),
      });
      if (onProgress) task.onProgressUpdate((p) => onProgress(p.progress));
    });
    return {
      done,
      abort: () => {
        aborted = true;
        task?.abort();
      },
    };
  }

  /** `startUpload` without the handle. */
  upload(filePath: string, kind: string, onProgress?: (percent: number) => void): Promise<MediaUploadResponse> {
    return this.startUpload(filePath, kind, onProgress).done;
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
