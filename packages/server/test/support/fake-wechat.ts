/**
 * A local fake of api.weixin.qq.com: plain node:http on port 0, answering in
 * WeChat's formats (see wechat-fixtures.ts). Default behaviour models the real
 * service (codes usable once, tokens that expire, subscription quotas,
 * template field limits); `enqueue` scripts one-off answers per route.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ERRORS, mediaCheckAsyncOk, msgSecCheckAnswer, OK, TEMPLATE_FIELD_LIMITS, tokenOk } from './wechat-fixtures.js';

export type FakeRoute = 'jscode2session' | 'stable_token' | 'token' | 'msg_sec_check' | 'media_check_async' | 'subscribe_send';

const PATHS: Record<string, FakeRoute> = {
  '/sns/jscode2session': 'jscode2session',
  '/cgi-bin/stable_token': 'stable_token',
  '/cgi-bin/token': 'token',
  '/wxa/msg_sec_check': 'msg_sec_check',
  '/wxa/media_check_async': 'media_check_async',
  '/cgi-bin/message/subscribe/send': 'subscribe_send',
};

/** A scripted answer: JSON (status 200), raw status/text, a dropped connection, or a delay first. */
export type FakeReply = { json: unknown; delayMs?: number } | { status: number; text: string } | { hangup: true } | { delayMs: number };

export interface RecordedCall {
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

export interface FakeSession {
  openid: string;
  session_key: string;
  unionid?: string;
}

export class FakeWechat {
  baseUrl = '';
  /** appid → secret accepted by the token and login endpoints. */
  readonly apps = new Map<string, string>();
  /** Delay before answering token requests (to make concurrent callers overlap). */
  tokenDelayMs = 0;
  /** Lifetime announced for new tokens. */
  tokenExpiresIn = 7200;
  /** msgSecCheck: contents containing one of these are risky / review. */
  readonly riskyWords = new Set<string>(['risky-word']);
  readonly reviewWords = new Set<string>(['review-word']);
  /** templateId → field keys of the template. */
  readonly templates = new Map<string, string[]>();
  /** Messages delivered by subscribeMessage.send. */
  readonly delivered: Array<Record<string, unknown>> = [];

  private server: Server | undefined;
  private readonly codes = new Map<string, FakeSession>();
  private readonly usedCodes = new Set<string>();
  private readonly validTokens = new Set<string>();
  private readonly expiredTokens = new Set<string>();
  private readonly quotas = new Map<string, number>();
  private readonly queues = new Map<FakeRoute, FakeReply[]>();
  private readonly recorded = new Map<FakeRoute, RecordedCall[]>();
  private tokenSeq = 0;
  private traceSeq = 0;

  /** Starts a fake on 127.0.0.1, port 0. */
  static async start(): Promise<FakeWechat> {
    const fake = new FakeWechat();
    fake.server = createServer((req, res) => {
      fake.handle(req, res).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
    await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Makes `code` exchangeable once for `session`. */
  addCode(code: string, session: FakeSession): void {
    this.codes.set(code, session);
  }

  /** Queues a one-off answer for the next call of `route`. */
  enqueue(route: FakeRoute, ...replies: FakeReply[]): void {
    const q = this.queues.get(route) ?? [];
    q.push(...replies);
    this.queues.set(route, q);
  }

  calls(route: FakeRoute): RecordedCall[] {
    return this.recorded.get(route) ?? [];
  }

  /** Tokens handed out so far (for log-redaction tests). */
  get issuedTokens(): string[] {
    return [...this.validTokens, ...this.expiredTokens];
  }

  /** Every token issued so far is now expired (42001). */
  expireAllTokens(): void {
    for (const t of this.validTokens) this.expiredTokens.add(t);
    this.validTokens.clear();
  }

  /** The user accepted `templateId` `n` times (one-time subscriptions). */
  grantSubscription(openid: string, templateId: string, n = 1): void {
    const k = `${openid}\n${templateId}`;
    this.quotas.set(k, (this.quotas.get(k) ?? 0) + n);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = PATHS[url.pathname];
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, { errcode: 47001, errmsg: 'data format error' });
      }
    }
    if (!route) {
      res.statusCode = 404;
      return void res.end('not found');
    }
    const query = Object.fromEntries(url.searchParams);
    const list = this.recorded.get(route) ?? [];
    list.push({ query, body });
    this.recorded.set(route, list);

    let scripted = this.queues.get(route)?.shift();
    if (scripted && 'delayMs' in scripted && scripted.delayMs) await sleep(scripted.delayMs);
    if (scripted && 'delayMs' in scripted && !('json' in scripted)) scripted = undefined;
    if (scripted) {
      if ('hangup' in scripted) return void req.socket.destroy();
      if ('status' in scripted) {
        res.statusCode = scripted.status;
        return void res.end(scripted.text);
      }
      return send(res, scripted.json);
    }
    send(res, await this.answer(route, query, body ?? {}));
  }

  private async answer(route: FakeRoute, q: Record<string, string>, b: Record<string, unknown>): Promise<unknown> {
    switch (route) {
      case 'jscode2session': {
        if (q.grant_type !== 'authorization_code') return ERRORS.invalidArgs;
        const err = this.checkApp(q.appid, q.secret);
        if (err) return err;
        if (this.usedCodes.has(q.js_code)) return ERRORS.codeBeenUsed;
        const s = this.codes.get(q.js_code);
        if (!s) return ERRORS.invalidCode;
        this.usedCodes.add(q.js_code);
        return { ...s };
      }
      case 'stable_token':
      case 'token': {
        const appid = route === 'token' ? q.appid : (b.appid as string);
        const secret = route === 'token' ? q.secret : (b.secret as string);
        const grant = route === 'token' ? q.grant_type : b.grant_type;
        if (grant !== 'client_credential') return ERRORS.invalidArgs;
        const err = this.checkApp(appid, secret);
        if (err) return err;
        if (this.tokenDelayMs) await sleep(this.tokenDelayMs);
        const token = `ACCESS_TOKEN_${++this.tokenSeq}_${randomBytes(12).toString('hex')}`;
        this.validTokens.add(token);
        return tokenOk(token, this.tokenExpiresIn);
      }
      default:
        break;
    }
    const tokenErr = this.checkToken(q.access_token);
    if (tokenErr) return tokenErr;
    switch (route) {
      case 'msg_sec_check': {
        const content = b.content;
        if (b.version !== 2 || typeof b.openid !== 'string' || typeof content !== 'string') return ERRORS.invalidArgs;
        if (content.length > 2500) return ERRORS.invalidArgs;
        const traceId = `trace-${++this.traceSeq}`;
        if ([...this.riskyWords].some((w) => content.includes(w))) return msgSecCheckAnswer('risky', 20001, traceId);
        if ([...this.reviewWords].some((w) => content.includes(w))) return msgSecCheckAnswer('review', 21000, traceId);
        return msgSecCheckAnswer('pass', 100, traceId);
      }
      case 'media_check_async':
        if (b.version !== 2 || typeof b.media_url !== 'string' || typeof b.openid !== 'string') return ERRORS.invalidArgs;
        if (b.media_type !== 1 && b.media_type !== 2) return ERRORS.invalidArgs;
        return mediaCheckAsyncOk(`media-trace-${++this.traceSeq}`);
      case 'subscribe_send': {
        const fields = this.templates.get(b.template_id as string);
        if (!fields) return ERRORS.invalidTemplateId;
        const data = (b.data ?? {}) as Record<string, { value?: unknown }>;
        for (const key of fields) {
          const v = data[key]?.value;
          const limit = TEMPLATE_FIELD_LIMITS[key.replace(/\d+$/, '') as keyof typeof TEMPLATE_FIELD_LIMITS];
          if (typeof v !== 'string' || v === '' || (limit !== undefined && Array.from(v).length > limit)) {
            return { ...ERRORS.invalidTemplateData, errmsg: `argument invalid! data.${key}.value invalid` };
          }
        }
        const k = `${b.touser}\n${b.template_id}`;
        const quota = this.quotas.get(k) ?? 0;
        if (quota <= 0) return ERRORS.userRefused;
        this.quotas.set(k, quota - 1);
        this.delivered.push(b);
        return OK;
      }
      default:
        return ERRORS.invalidArgs;
    }
  }

  private checkApp(appid: unknown, secret: unknown): unknown {
    if (typeof appid !== 'string' || !this.apps.has(appid)) return ERRORS.invalidAppid;
    if (this.apps.get(appid) !== secret) return ERRORS.invalidAppsecret;
    return undefined;
  }

  private checkToken(token: string | undefined): unknown {
    if (token && this.validTokens.has(token)) return undefined;
    if (token && this.expiredTokens.has(token)) return ERRORS.accessTokenExpired;
    return ERRORS.invalidCredential;
  }
}

function send(res: ServerResponse, json: unknown): void {
  const text = JSON.stringify(json);
  res.writeHead(200, {
    'content-type': 'application/json; encoding=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
