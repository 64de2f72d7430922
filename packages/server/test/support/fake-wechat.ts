/**
 * A local fake of api.weixin.qq.com: plain node:http on port 0, answering in
 * WeChat's formats (see wechat-fixtures.ts, each shape with its page). Default
 * behaviour models the documented service: codes usable once, a stable token
 * that stays the same until it nears expiry (a new one only with
 * force_refresh), subscription quotas, per-type template keyword rules (47003),
 * msgSecCheck's listed error codes, phone-number codes; `enqueue` scripts
 * one-off answers per route.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ERRORS, invalidKeyword, KEYWORD_RULES, mediaCheckAsyncOk, msgSecCheckAnswer, OK, phoneNumberOk, tokenOk } from './wechat-fixtures.js';

export type FakeRoute = 'jscode2session' | 'stable_token' | 'token' | 'msg_sec_check' | 'media_check_async' | 'subscribe_send' | 'get_phone_number';

const PATHS: Record<string, FakeRoute> = {
  '/sns/jscode2session': 'jscode2session',
  '/cgi-bin/stable_token': 'stable_token',
  '/cgi-bin/token': 'token',
  '/wxa/msg_sec_check': 'msg_sec_check',
  '/wxa/media_check_async': 'media_check_async',
  '/cgi-bin/message/subscribe/send': 'subscribe_send',
  '/wxa/business/getuserphonenumber': 'get_phone_number',
};

/** DOCS.stableTokenNotes: in normal mode a new token is handed out within the last 5 minutes. */
const STABLE_RENEW_MARGIN_S = 300;

/** A scripted answer: JSON (status 200), raw status/text, a dropped connection, or a delay first. */
export type FakeReply = { json: unknown; delayMs?: number } | { status: number; text: string } | { hangup: true } | { delayMs: number };

export interface RecordedCall {
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

/** A phone-number code (DOCS.getPhoneNumber): the number behind it, for one app. */
export interface FakePhone {
  appid: string;
  purePhoneNumber: string;
  countryCode?: string | number;
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
  /** The fake's clock (ms); tests that move time set it to theirs. */
  now: () => number = Date.now;
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
  /** Every token handed out → when it expires (ms); revoked tokens are removed. */
  private readonly tokens = new Map<string, number>();
  /** appid → the current stable token. */
  private readonly stable = new Map<string, string>();
  private readonly phoneCodes = new Map<string, FakePhone>();
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
  readonly issuedTokens: string[] = [];

  /** Every token issued so far is now expired (42001). */
  expireAllTokens(): void {
    const past = this.now() - 1;
    for (const t of this.tokens.keys()) this.tokens.set(t, past);
  }

  /**
   * Another client called stable_token with force_refresh: the app's current
   * token stops working (40001) and normal-mode calls return the new one.
   */
  forceRefreshElsewhere(appid: string): void {
    this.issueStable(appid, true);
  }

  /** Makes `code` (from the getPhoneNumber button) exchangeable once for `phone`. */
  addPhoneCode(code: string, phone: FakePhone): void {
    this.phoneCodes.set(code, phone);
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
    send(res, await this.answer(route, query, body ?? {}, raw === ''));
  }

  private async answer(route: FakeRoute, q: Record<string, string>, b: Record<string, unknown>, empty: boolean): Promise<unknown> {
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
        if (grant !== 'client_credential') return ERRORS.invalidGrantType;
        const err = this.checkApp(appid, secret);
        if (err) return err;
        if (this.tokenDelayMs) await sleep(this.tokenDelayMs);
        // DOCS.classicToken: every call hands out a new token (the old one keeps working until it expires).
        if (route === 'token') return this.answerToken(this.newToken());
        return this.answerToken(this.issueStable(appid, b.force_refresh === true));
      }
      default:
        break;
    }
    const tokenErr = this.checkToken(q.access_token);
    if (tokenErr) return tokenErr;
    switch (route) {
      case 'msg_sec_check': {
        // DOCS.msgSecCheck lists 40003, 40129, 44002 and 47001 for bad requests.
        if (empty) return ERRORS.emptyPostData;
        const content = b.content;
        if (typeof b.openid !== 'string' || !/^[\w-]{1,64}$/.test(b.openid)) return ERRORS.invalidOpenid;
        if (![1, 2, 3, 4].includes(b.scene as number)) return ERRORS.invalidScene;
        // The page sets 2,500 characters as the limit without naming a code for more: 47001 is the nearest listed one.
        if (b.version !== 2 || typeof content !== 'string' || content.length > 2500) return ERRORS.dataFormatError;
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
          const rule = KEYWORD_RULES[key.replace(/\d+$/, '')];
          if (typeof v !== 'string' || v === '') return invalidKeyword(key, true);
          if (!rule?.(v)) return invalidKeyword(key, false);
        }
        const k = `${b.touser}\n${b.template_id}`;
        const quota = this.quotas.get(k) ?? 0;
        if (quota <= 0) return ERRORS.userRefused;
        this.quotas.set(k, quota - 1);
        this.delivered.push(b);
        return OK;
      }
      case 'get_phone_number': {
        // DOCS.getPhoneNumber: each code once, 40029 for an unknown or used one.
        const phone = typeof b.code === 'string' ? this.phoneCodes.get(b.code) : undefined;
        if (!phone) return ERRORS.invalidCode;
        this.phoneCodes.delete(b.code as string);
        return phoneNumberOk(phone.appid, phone.purePhoneNumber, phone.countryCode ?? '86', Math.floor(this.now() / 1000));
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
    const expires = token === undefined ? undefined : this.tokens.get(token);
    if (expires === undefined) return ERRORS.invalidCredential;
    return expires > this.now() ? undefined : ERRORS.accessTokenExpired;
  }

  private newToken(): string {
    const token = `ACCESS_TOKEN_${++this.tokenSeq}_${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, this.now() + this.tokenExpiresIn * 1000);
    this.issuedTokens.push(token);
    return token;
  }

  /**
   * DOCS.stableToken: normal mode returns the current token while it has more
   * than 5 minutes left (then a new one, the old one still valid until it
   * expires); force_refresh revokes the current token and hands out a new one.
   */
  private issueStable(appid: string, force: boolean): string {
    const current = this.stable.get(appid);
    const left = current === undefined ? 0 : (this.tokens.get(current) ?? 0) - this.now();
    if (!force && current !== undefined && left > STABLE_RENEW_MARGIN_S * 1000) return current;
    if (force && current !== undefined) this.tokens.delete(current);
    const token = this.newToken();
    this.stable.set(appid, token);
    return token;
  }

  private answerToken(token: string): unknown {
    return tokenOk(token, Math.max(0, Math.round(((this.tokens.get(token) ?? 0) - this.now()) / 1000)));
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
