import type { AuthResponse, ErrorCode, Group, GroupMember, MediaUploadResponse, User } from '@miniim/protocol';
import { ImError, isErrorCode } from '@miniim/protocol';
import type { TokenKeeper } from './auth/token-keeper.js';

/**
 * One HTTP request as the SDK describes it to a platform adapter. No PATCH: `wx.request` cannot
 * send it, so partial updates go as PUT (the server accepts PATCH, PUT and POST for them).
 */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** JSON body. */
  body?: unknown;
}

/** A file to upload: a Blob/File (browsers, Node) or a temp file path (mini-program). */
export type UploadSource = Blob | string;

export interface UploadRequest {
  url: string;
  headers: Record<string, string>;
  file: UploadSource;
  /** File name for Blob sources. */
  fileName?: string;
  fields?: Record<string, string>;
}

/** Answer of an adapter: status and parsed JSON (or null). */
export interface HttpResponse {
  status: number;
  data: unknown;
}

/** Platform HTTP: `fetch` (web / Node) or `wx.request` + `wx.uploadFile` (mini-program). */
export interface HttpAdapter {
  request(req: HttpRequest): Promise<HttpResponse>;
  upload(req: UploadRequest): Promise<HttpResponse>;
}

/** Turns a non-2xx answer into an `ImError` with the contract's code. */
export function toImError(res: HttpResponse): ImError {
  const err = (res.data as { error?: { code?: unknown; message?: unknown; retryAfterMs?: unknown } } | null)?.error;
  const fallback: ErrorCode =
    res.status === 401
      ? 'unauthorized'
      : res.status === 403
        ? 'forbidden'
        : res.status === 404
          ? 'not_found'
          : res.status === 429
            ? 'rate_limited'
            : res.status >= 500
              ? 'unavailable'
              : 'bad_request';
  const code = isErrorCode(err?.code) ? err.code : fallback;
  const retry = typeof err?.retryAfterMs === 'number' ? err.retryAfterMs : undefined;
  return new ImError(code, typeof err?.message === 'string' ? err.message : `HTTP ${res.status}`, retry);
}

function ok<T>(res: HttpResponse): T {
  if (res.status >= 200 && res.status < 300) return res.data as T;
  throw toImError(res);
}

/** Logs in with the server's dev login (`POST /api/auth/dev`, only where enabled). */
export async function devLogin(http: HttpAdapter, baseUrl: string, input: { userId: string; nickname?: string; avatarUrl?: string }): Promise<AuthResponse> {
  const res = await http.request({
    method: 'POST',
    url: `${trimSlash(baseUrl)}/api/auth/dev`,
    headers: {},
    body: input,
  });
  return ok<AuthResponse>(res);
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Typed calls to the HTTP API with the user's token. A 401 refreshes the token once and
 * retries; a refresh answered 401 ends the login (`unauthorized`), one that failed otherwise
 * leaves it as it is (`unavailable`, try again later).
 */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly http: HttpAdapter,
    private readonly tokens: TokenKeeper,
  ) {}

  async call<T>(method: HttpRequest['method'], path: string, body?: unknown): Promise<T> {
    const res = await this.withToken((token) => {
      const req: HttpRequest = { method, url: trimSlash(this.baseUrl) + path, headers: { Authorization: `Bearer ${token}` } };
      if (body !== undefined) req.body = body;
      return this.http.request(req);
    });
    return ok<T>(res);
  }

  /** Uploads a file to `POST /api/media`; returns the URL and what the server learned about it. */
  async upload(file: UploadSource, opts: { kind?: string; fileName?: string } = {}): Promise<MediaUploadResponse> {
    const res = await this.withToken((token) => {
      const req: UploadRequest = { url: `${trimSlash(this.baseUrl)}/api/media`, headers: { Authorization: `Bearer ${token}` }, file };
      if (opts.kind) req.fields = { kind: opts.kind };
      if (opts.fileName) req.fileName = opts.fileName;
      return this.http.upload(req);
    });
    return ok<MediaUploadResponse>(res);
  }

  /** Runs a request with the token; on 401, refreshes (only then) and runs it once more. */
  private async withToken(run: (token: string) => Promise<HttpResponse>): Promise<HttpResponse> {
    const token = await this.tokens.token();
    if (!token) throw new ImError('unauthorized', 'no token');
    const res = await run(token);
    if (res.status !== 401) return res;
    const outcome = await this.tokens.refresh(token);
    if (outcome.kind === 'ended') throw new ImError('unauthorized', `the login has ended (${outcome.reason})`);
    if (outcome.kind === 'retry') throw new ImError('unavailable', `token refresh failed: ${outcome.error.message}`);
    return run(outcome.token);
  }

  me(): Promise<User> {
    return this.call('GET', '/api/me');
  }
  updateMe(patch: { nickname?: string; avatarUrl?: string }): Promise<User> {
    return this.call('PUT', '/api/me', patch);
  }
  user(id: string): Promise<User> {
    return this.call('GET', `/api/users/${encodeURIComponent(id)}`);
  }
  /** Batch profile lookup (extension, ≤ 100 ids); ids the server does not know are left out. */
  users(ids: string[]): Promise<{ users: User[] }> {
    return this.call('GET', `/api/users?ids=${ids.map(encodeURIComponent).join(',')}`);
  }
  createGroup(input: { name: string; members: string[]; avatarUrl?: string }): Promise<Group> {
    return this.call('POST', '/api/groups', input);
  }
  group(id: string): Promise<Group> {
    return this.call('GET', `/api/groups/${encodeURIComponent(id)}`);
  }
  updateGroup(id: string, patch: { name?: string; avatarUrl?: string; muted?: boolean }): Promise<Group> {
    return this.call('PUT', `/api/groups/${encodeURIComponent(id)}`, patch);
  }
  groupMembers(id: string, opts: { cursor?: string; limit?: number } = {}): Promise<{ members: GroupMember[]; nextCursor?: string }> {
    const q: string[] = [];
    if (opts.cursor) q.push(`cursor=${encodeURIComponent(opts.cursor)}`);
    if (opts.limit) q.push(`limit=${opts.limit}`);
    return this.call('GET', `/api/groups/${encodeURIComponent(id)}/members${q.length ? `?${q.join('&')}` : ''}`);
  }
  addGroupMembers(id: string, userIds: string[]): Promise<Group> {
    return this.call('POST', `/api/groups/${encodeURIComponent(id)}/members`, { userIds });
  }
  removeGroupMember(id: string, userId: string): Promise<Group> {
    return this.call('DELETE', `/api/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`);
  }
}
