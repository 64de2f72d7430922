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
  ProfileStore,
  type SessionEndReason,
  toImError,
  type User,
  type WxClient,
  wechatLogin,
  wxHttp,
} from '@miniim/sdk/wx';
import type { AppWx } from './app-wx.js';
import { ConnectionStatus } from './connection-status.js';
import { MessageCache } from './message-cache.js';
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
  clientOptions?: { backoff?: { baseMs?: number; maxMs?: number }; heartbeat?: { intervalMs?: number; timeoutMs?: number }; persistence?: false };
}

/** How the saved login was obtained: a WeChat login can be renewed silently with `wx.login`. */
type Via = 'wechat' | 'dev';
type SavedAuth = AuthResponse & { via?: Via };

/** Why a login ended, for the login page's message (the SDK's `sessionEnded` reasons). */
export type LoginEndReason = SessionEndReason;

/** Tries of a silent WeChat re-login while the server is unreachable, and the pause between them. */
const RELOGIN_TRIES = 5;
const RELOGIN_PAUSE_MS = 3_000;

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
  /** The connection banner of every page. */
  readonly status: ConnectionStatus;
  /** Nicknames and avatars (batched `GET /api/users?ids=`, member lists with profiles). */
  readonly profiles: ProfileStore;
  /** The per-conversation message cache (wx.setStorage within its limits). */
  readonly cache: MessageCache;
  private auth: SavedAuth | undefined;
  private loginEndedListeners: Array<(reason: LoginEndReason) => void> = [];
  private drafts: Record<string, string>;

  constructor(private readonly options: SessionOptions) {
    this.wx = options.wx;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.drafts = readJson<Record<string, string>>(this.wx, DRAFTS_KEY) ?? {};
    this.privacy = new PrivacyGate(this.wx);
    this.status = new ConnectionStatus(this.wx);
    // Reported once per distinct problem; the next save tries again.
    this.cache = new MessageCache(this.wx, { onError: (errMsg) => console.warn(`miniim: message cache not saved: ${errMsg}`) });
    this.profiles = new ProfileStore({
      users: (ids) => this.need().api.users(ids),
      groupMembers: (id, opts) => this.need().api.groupMembers(id, opts),
    });
  }

  /** Called when a login truly ended (refused for good, banned, replaced, logged out elsewhere): the app shows the login page. */
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

  /**
   * The SDK says the login is over. A WeChat login whose token merely expired is renewed silently
   * (`wx.login` → `POST /api/auth/wechat`, then `setAuth`: queued sends go out, no login page);
   * anything else — or a refused re-login — ends it. An unreachable server is tried again a few
   * times before giving up (the user then sees the login page, never a wrong "logged in").
   */
  private async onSessionEnded(client: WxClient, reason: SessionEndReason): Promise<void> {
    const auth = this.auth;
    if (reason !== 'expired' || auth?.via !== 'wechat') {
      this.endLogin(reason);
      return;
    }
    for (let i = 0; i < RELOGIN_TRIES && this.client === client; i++) {
      try {
        const fresh = await wechatLogin(this.baseUrl, this.options.appId ? { appId: this.options.appId } : {}, this.wx);
        if (fresh.user.id !== auth.user.id || this.client !== client) break;
        this.saveAuth(fresh, 'wechat');
        client.setAuth({ token: fresh.token, expiresAt: fresh.expiresAt });
        return;
      } catch (err) {
        const retry = !(err instanceof ImError) || err.code === 'unavailable' || err.code === 'rate_limited';
        if (!retry) break;
        await new Promise((r) => setTimeout(r, RELOGIN_PAUSE_MS));
      }
    }
    this.endLogin('expired');
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
    const client = createWxClient({
      wx: this.wx,
      baseUrl: this.baseUrl,
      userId: auth.user.id,
      auth: { token: auth.token, expiresAt: auth.expiresAt },
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.heartbeat ? { heartbeat: opts.heartbeat } : {}),
      persistence: opts.persistence === false ? false : this.cache,
    });
    this.client = client;
    client.on('synced', ({ user }) => {
      this.user = user;
      this.remember(user);
    });
    client.on('state', (c) => this.status.setState(c.newState));
    // A refreshed token replaces the saved one (the old one is revoked by the server).
    client.on('auth', (a) => {
      const held = this.auth;
      if (held && this.client === client)
        this.saveAuth({ ...held, token: a.token, expiresAt: a.expiresAt ?? held.expiresAt, user: a.user ?? held.user }, held.via ?? 'dev');
    });
    client.on('sessionEnded', ({ reason }) => void this.onSessionEnded(client, reason));
    this.status.setState(client.state);
    void client.connect();
    return auth.user;
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
    return this.profiles.get(id);
  }

  /** Display name of a user id (nickname when known). */
  nameOf(id: string): string {
    return this.profiles.name(id);
  }

  /** Records users seen elsewhere (conversation peers, login). */
  remember(u: User | undefined): void {
    if (u?.id) this.profiles.remember([u]);
  }

  /** Fetches unknown users in one batch (`GET /api/users?ids=`); resolves true when it asked. */
  async lookupUsers(ids: string[]): Promise<boolean> {
    if (!this.client) return false;
    const wanted = [...new Set(ids)].filter((id) => id && !this.profiles.get(id) && !this.profiles.isUnknown(id));
    if (wanted.length === 0) return false;
    await this.profiles.load(wanted).catch(() => {});
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
