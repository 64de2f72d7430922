/** A scripted transport and HTTP adapter for Connection tests with fake timers. */
import { TokenKeeper } from '../../src/auth/token-keeper.js';
import { Connection, type ConnectionOptions } from '../../src/connection.js';
import type { HttpAdapter, HttpRequest, HttpResponse } from '../../src/http.js';
import type { SocketHandlers, Transport } from '../../src/transport/transport.js';

export interface ScriptedSocket {
  at: number;
  token: string;
  handlers: SocketHandlers;
  closed: boolean;
  sent: string[];
}

/** Each open() is recorded; `behaviour` decides what a new socket does on its own. */
export class ScriptedTransport implements Transport {
  readonly name = 'scripted';
  opens: ScriptedSocket[] = [];
  behaviour: 'refuse' | 'hello' | 'silent' = 'refuse';
  /** Answer `ping` frames with `pong` (a live server). */
  answerPings = true;
  open(_url: string, token: string, handlers: SocketHandlers) {
    const rec: ScriptedSocket = { at: Date.now(), token, handlers, closed: false, sent: [] };
    this.opens.push(rec);
    if (this.behaviour === 'refuse') queueMicrotask(() => !rec.closed && handlers.onClose(1006, ''));
    if (this.behaviour === 'hello') {
      setTimeout(() => {
        if (rec.closed) return;
        handlers.onOpen();
        handlers.onMessage(
          JSON.stringify({ op: 'hello', user: { id: 'u1', nickname: '', avatarUrl: '' }, sessionId: 's', serverTime: 0, heartbeatMs: 25_000, limits: {} }),
        );
      }, 0);
    }
    return {
      send: (d: string) => {
        rec.sent.push(d);
        if (this.answerPings && this.behaviour === 'hello' && JSON.parse(d).op === 'ping') {
          setTimeout(() => !rec.closed && handlers.onMessage(JSON.stringify({ op: 'pong', ts: 0 })), 1);
        }
      },
      close: () => {
        rec.closed = true;
      },
    };
  }
  get last(): ScriptedSocket {
    return this.opens[this.opens.length - 1]!;
  }
  /** Ops sent on a socket. */
  ops(i = this.opens.length - 1): string[] {
    return this.opens[i]!.sent.map((d) => JSON.parse(d).op);
  }
}

/** HTTP answers by route; records every request. A status of 0 means "connection refused". */
export class ScriptedHttp implements HttpAdapter {
  readonly requests: HttpRequest[] = [];
  me = 200;
  refresh: number | (() => number) = 200;
  private n = 0;
  async request(req: HttpRequest): Promise<HttpResponse> {
    this.requests.push(req);
    const status = req.url.endsWith('/api/auth/refresh') ? (typeof this.refresh === 'function' ? this.refresh() : this.refresh) : this.me;
    if (status === 0) throw new TypeError('fetch failed: ECONNREFUSED');
    if (status === 200 && req.url.endsWith('/api/auth/refresh')) {
      this.n++;
      return { status, data: { token: `tok${this.n + 1}`, expiresAt: Date.now() + 3_600_000, user: { id: 'u1', nickname: '', avatarUrl: '' } } };
    }
    return { status, data: status === 200 ? { id: 'u1' } : { error: { code: status === 401 ? 'unauthorized' : 'unavailable', message: 'x' } } };
  }
  async upload(): Promise<HttpResponse> {
    throw new Error('not scripted');
  }
  get refreshes(): number {
    return this.requests.filter((r) => r.url.endsWith('/api/auth/refresh')).length;
  }
}

/** A Connection over a scripted transport and HTTP, with token `tok1` from `auth`. */
export function scriptedConnection(opts: Partial<ConnectionOptions> = {}, expiresAt?: number) {
  const transport = new ScriptedTransport();
  const http = new ScriptedHttp();
  const tokens = new TokenKeeper({ baseUrl: 'http://x', http, auth: expiresAt ? { token: 'tok1', expiresAt } : { token: 'tok1' } });
  const conn = new Connection({ wsUrl: 'ws://x/ws', transport, tokens, ...opts });
  const states: string[] = [];
  const ended: string[] = [];
  conn.on('state', (c) => states.push(`${c.newState}:${c.reason}`));
  conn.on('sessionEnded', (e) => ended.push(e.reason));
  return { transport, http, tokens, conn, states, ended };
}
