/**
 * Steady load from real SDK clients (web entry, Node `ws`) for deploy tests and the rolling-restart
 * bench: every client sends a text to a random peer now and then; afterwards the server's history
 * is the truth every acked send and every client's store are checked against.
 * Logins are counted here (dev login), so "nobody had to log in again" is `logins === users`.
 */

import dns from 'node:dns';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import type { ImClient } from '../../../packages/sdk/src/index.js';
import type { WebSocketConstructor } from '../../../packages/sdk/src/transport/websocket-transport.js';
import { createWebClient } from '../../../packages/sdk/src/web/index.js';
import { seeded } from '../../../packages/sdk/test/support/chaos/tcp-proxy.js';

export interface LoadOptions {
  /** Base URL clients use (a node, pm2's port, or nginx). */
  baseUrl: string;
  users: number;
  /** Mean pause between two sends of one client. */
  sendEveryMs: number;
  /** PEM of a self-signed certificate the clients must trust (nginx in tests). */
  ca?: string;
  /** Seed of the peer choice and pauses (reproducible runs). */
  seed?: number;
  userPrefix?: string;
  /**
   * Each client chats 1:1 with this many neighbours on each side of a ring of the users
   * (so 50 users need not open 1,225 conversations); every other user when unset.
   */
  neighbours?: number;
  /** Source addresses the clients' sockets bind to, round-robin (e.g. 127.0.0.2–9: more ephemeral ports). */
  localAddresses?: string[];
  /** Logins, connects and first loads in flight at once (default 1: one user after the other). */
  concurrency?: number;
}

export interface Member {
  user: string;
  client: ImClient;
  token: string;
  /** Conversations with every peer. */
  convs: string[];
  peers: string[];
  /** The client's fetch (its CA and source address), for the checks' own requests. */
  fetch: typeof fetch;
  sent: number;
  /** Closes of the socket that did not end the login (reconnects), with their close codes. */
  reconnects: number[];
  /** What happened to this client's sockets and sync, in order (for the bench's reconnect timeline). */
  trace: TraceEvent[];
}

/**
 * One step of a client's reconnect timeline: `try` (a socket opened by the SDK), `open` (upgrade done),
 * `fail` (an error before or after the upgrade: its message, e.g. `Unexpected server response: 502`),
 * `close` (its code), `lost` (left `connected`), `hello` (connected), `synced` (catch-up done).
 */
export interface TraceEvent {
  t: number;
  kind: 'try' | 'open' | 'fail' | 'close' | 'lost' | 'hello' | 'synced';
  detail?: string;
}

interface PendingSend {
  text: string;
  /** Conversation, sender and recipient: the two stores the message must end up in. */
  conv: string;
  from: string;
  to: string;
  settled: boolean;
  acked: boolean;
  p: Promise<void>;
}

export interface LoadReport {
  users: number;
  logins: number;
  sends: number;
  acked: number;
  failedSends: string[];
  /** Acked but missing from the server's history. */
  lost: string[];
  /** On the server more than once. */
  duplicated: string[];
  /** Client stores that do not equal the server's history after the final sync. */
  mismatches: string[];
  /** Acked messages not exactly once in the sender's and the recipient's store (`text user ×n`). */
  notOnceInStores: string[];
  sessionEnded: string[];
  refreshes: number;
  /** Reconnects per client and the close codes that caused them. */
  reconnectCodes: Record<string, number>;
  clientsReconnected: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` every 50 ms until true or `ms` passed; returns whether it became true. */
export async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/**
 * A fetch for https URLs that trusts `ca` (Node's global fetch takes no CA): enough of fetch for the
 * SDK (method, headers, string/Blob/FormData bodies, status and body of the answer).
 */
export function caFetch(ca: string, localAddress?: string): typeof fetch {
  const agent = new https.Agent({ ca, keepAlive: true, localAddress });
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    // Let the platform encode the body (FormData, Blob, string) and tell its content type.
    const encoded = init.body === undefined || init.body === null ? undefined : new Request(url, { method: 'POST', body: init.body });
    const body = encoded ? Buffer.from(await encoded.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    for (const [k, v] of new Headers(init.headers)) headers[k] = v;
    const type = encoded?.headers.get('content-type');
    if (type && !headers['content-type']) headers['content-type'] = type;
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const req = https.request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          const status = res.statusCode ?? 0;
          const noBody = status === 204 || status === 304;
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: h }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      init.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
      req.end(body);
    });
  }) as typeof fetch;
}

const lookups = new Map<string, { address: string; family: number }>();
/** `net.connect`'s lookup with the answer kept (a host's address is looked up once per process, as browsers cache DNS). */
const cachedLookup: LookupFunction = (host, options, callback) => {
  const hit = lookups.get(host);
  if (hit) {
    if (options.all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [hit]);
    else callback(null, hit.address, hit.family);
    return;
  }
  dns.lookup(host, { family: options.family ?? 0 }, (err, address, family) => {
    if (!err) lookups.set(host, { address, family });
    if (err) callback(err, '', 0);
    else if (options.all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  });
};

function dm(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

export class SdkLoad {
  readonly members: Member[] = [];
  logins = 0;
  private readonly pending: PendingSend[] = [];
  private sending = false;
  private senders: Promise<void>[] = [];
  /** Wakes the senders' pauses when sending stops (a stop must not wait out up to 1.5 × sendEveryMs). */
  private readonly wakers = new Set<() => void>();
  private readonly sessionEnded: string[] = [];
  private refreshes = 0;
  private readonly random: () => number;
  private secureContext: tls.SecureContext | undefined;

  private constructor(private readonly o: LoadOptions) {
    this.random = seeded(o.seed ?? 1);
  }

  /** fetch and WebSocket for the `i`th client: trusting `ca`, bound to its source address. */
  private transport(i: number, trace: TraceEvent[]): { fetch: typeof fetch; WS: WebSocketConstructor } {
    const { ca, localAddresses } = this.o;
    const localAddress = localAddresses?.length ? localAddresses[i % localAddresses.length] : undefined;
    const traced = (ws: WebSocket) => {
      trace.push({ t: Date.now(), kind: 'try' });
      ws.on('open', () => trace.push({ t: Date.now(), kind: 'open' }));
      ws.on('error', (e: Error) => trace.push({ t: Date.now(), kind: 'fail', detail: e.message.slice(0, 60) }));
      ws.on('close', (code: number) => trace.push({ t: Date.now(), kind: 'close', detail: String(code) }));
    };
    if (!ca && !localAddress) {
      const WS = class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols);
          traced(this);
        }
      } as unknown as WebSocketConstructor;
      return { fetch, WS };
    }
    // Like a browser or WeChat, each client keeps its TLS session and resumes it when it reconnects
    // (nginx: ssl_session_cache and tickets), instead of a full handshake on every reconnect. Like
    // them too, it parses its trusted certificates once (one secure context per load, not one per
    // socket: that was a third of a generator's CPU in a reconnect crowd) and caches the server's address.
    let session: Buffer | undefined;
    if (ca && !this.secureContext) this.secureContext = tls.createSecureContext({ ca });
    const secureContext = this.secureContext;
    const createConnection = (opts: tls.ConnectionOptions & { host?: string }) => {
      const socket = tls.connect({
        ...opts,
        path: undefined,
        servername: opts.servername ?? (isIP(opts.host ?? '') ? '' : opts.host),
        session,
        secureContext,
        lookup: cachedLookup,
      });
      socket.on('session', (s: Buffer) => (session = s));
      return socket;
    };
    const WS = class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, (url.startsWith('wss:') ? { ca, localAddress, createConnection } : { ca, localAddress }) as WebSocket.ClientOptions);
        traced(this);
      }
    } as unknown as WebSocketConstructor;
    return { fetch: ca ? caFetch(ca, localAddress) : fetch, WS };
  }

  /** Logs every user in (once), connects every client, opens every conversation and loads it from seq 1. */
  static async start(o: LoadOptions): Promise<SdkLoad> {
    const load = new SdkLoad(o);
    await load.init();
    return load;
  }

  private async json(method: string, route: string, token?: string, body?: unknown, fetchImpl: typeof fetch = this.members[0]?.fetch ?? fetch): Promise<any> {
    const request = () =>
      fetchImpl(this.o.baseUrl + route, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    let res = await request();
    // The checks' own reads, right after a restart, may meet a 502 from nginx (a kept-alive upstream
    // connection to the old process); a read is safe to repeat, as the SDK does for its own: up to ~5 s.
    for (let i = 0; i < 10 && method === 'GET' && res.status === 502; i++) {
      await res.text();
      await sleep(500);
      res = await request();
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  /** Runs `fn` over `items`, `concurrency` at a time. */
  private async each<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const lanes = Array.from({ length: Math.max(1, this.o.concurrency ?? 1) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    });
    await Promise.all(lanes);
  }

  private async init(): Promise<void> {
    const prefix = this.o.userPrefix ?? 'load';
    const users = Array.from({ length: this.o.users }, (_, i) => `${prefix}${i}`);
    await this.each([...users.keys()], async (i) => {
      const user = users[i]!;
      const trace: TraceEvent[] = [];
      const t = this.transport(i, trace);
      const a = await this.json('POST', '/api/auth/dev', undefined, { userId: user, nickname: user }, t.fetch);
      this.logins++;
      const client = createWebClient({
        baseUrl: this.o.baseUrl,
        userId: user,
        auth: { token: a.token, expiresAt: a.expiresAt },
        WebSocket: t.WS,
        fetch: t.fetch,
        persistence: false,
        lifecycle: false,
      });
      const peers = ringPeers(users, i, this.o.neighbours);
      const m: Member = { user, client, token: a.token, fetch: t.fetch, convs: peers.map((p) => dm(user, p)), peers, sent: 0, reconnects: [], trace };
      client.on('sessionEnded', (e) => this.sessionEnded.push(`${user}:${e.reason}`));
      client.on('auth', () => this.refreshes++);
      client.on('state', (c) => {
        if (c.newState === 'reconnecting' && c.oldState === 'connected') {
          m.reconnects.push(c.closeCode ?? 0);
          trace.push({ t: Date.now(), kind: 'lost', detail: String(c.closeCode ?? c.reason) });
        }
        if (c.newState === 'connected') trace.push({ t: Date.now(), kind: 'hello' });
      });
      client.on('synced', () => trace.push({ t: Date.now(), kind: 'synced' }));
      this.members[i] = m;
      await client.connect();
      await client.waitConnected(60_000);
    });
    // Every conversation exists and is loaded from seq 1 in both stores before the load begins.
    await this.each(this.members, async (m) => {
      for (const p of m.peers) if (m.user < p) await m.client.sendText(`u:${p}`, `${m.user}#0>${p}`);
    });
    await this.each(this.members, async (m) => {
      for (const conv of m.convs) for (let more = true; more; ) more = (await m.client.loadHistory(conv, 100)).hasMore;
    });
  }

  /** Starts the steady load: each client sends every ~sendEveryMs (uniform in [0.5, 1.5] × mean). */
  startSending(): void {
    this.sending = true;
    this.senders = this.members.map(async (m) => {
      while (this.sending) {
        await this.pause(this.o.sendEveryMs * (0.5 + this.random()));
        if (!this.sending) break;
        const text = `${m.user}#${++m.sent}`;
        const peer = m.peers[Math.floor(this.random() * m.peers.length)]!;
        const entry: PendingSend = { text, conv: dm(m.user, peer), from: m.user, to: peer, settled: false, acked: false, p: Promise.resolve() };
        entry.p = m.client.sendText(`u:${peer}`, text).then(
          () => {
            entry.settled = true;
            entry.acked = true;
          },
          () => {
            entry.settled = true;
          },
        );
        this.pending.push(entry);
      }
    });
  }

  /** Stops sending and waits (bounded) for every send to be acked or failed. */
  /** A sender's pause between two sends, cut short by stopSending(). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  async stopSending(settleMs = 30_000): Promise<void> {
    this.sending = false;
    for (const wake of [...this.wakers]) wake();
    await Promise.all(this.senders);
    await Promise.race([Promise.all(this.pending.map((x) => x.p)), sleep(settleMs)]);
  }

  /** Sends so far and how many of them are acked (the steady load's offered and served rates). */
  counts(): { sends: number; acked: number } {
    let acked = 0;
    for (const x of this.pending) if (x.acked) acked++;
    return { sends: this.pending.length, acked };
  }

  /** Whether every client is connected. */
  allConnected(): boolean {
    return this.members.every((m) => m.client.state === 'connected');
  }

  /**
   * Whether, as far as the clients can tell, every one is back in sync: connected, and every acked
   * send exactly once in its sender's and its recipient's store (no request to the server).
   */
  inSync(): boolean {
    return this.allConnected() && this.notOnceInStores().length === 0;
  }

  /** Acked sends not exactly once in the sender's and the recipient's store (`text user ×n`). */
  private notOnceInStores(): string[] {
    const counts = new Map<string, number>();
    for (const m of this.members) {
      for (const conv of m.convs) {
        for (const msg of m.client.messages(conv)) {
          const key = `${m.user} ${(msg.body as { text?: string }).text}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
    }
    const out: string[] = [];
    for (const x of this.pending) {
      if (!x.acked) continue;
      for (const user of [x.from, x.to]) {
        const n = counts.get(`${user} ${x.text}`) ?? 0;
        if (n !== 1) out.push(`${x.text} ${user} ×${n}`);
      }
    }
    return out;
  }

  /** The server's history of a conversation (all pages). */
  async history(conv: string, token: string): Promise<Array<{ id: string; seq: number; body: { text?: string } }>> {
    let all: Array<{ id: string; seq: number; body: { text?: string } }> = [];
    for (let after = 0, more = true; more; ) {
      const page = await this.json('GET', `/api/conversations/${conv}/messages?after=${after}&limit=100`, token);
      all = all.concat(page.messages);
      more = page.hasMore;
      after = all.length ? all[all.length - 1]!.seq : 0;
    }
    return all;
  }

  /** Whether every client's store equals `truth` for each of its conversations. */
  storesMatch(truth: Map<string, string>): boolean {
    return this.members.every((m) =>
      m.convs.every(
        (c) =>
          m.client
            .messages(c)
            .map((x) => x.id)
            .join(',') === truth.get(c),
      ),
    );
  }

  /** Server truth for every conversation (ids joined), for storesMatch. */
  async truth(): Promise<Map<string, string>> {
    const truth = new Map<string, string>();
    for (const m of this.members) {
      for (const conv of m.convs) if (!truth.has(conv)) truth.set(conv, (await this.history(conv, m.token)).map((x) => x.id).join(','));
    }
    return truth;
  }

  /**
   * Checks everything against the server's history. `resync`: reconnect every client first (one
   * more sync each) — needed where nodes share no bus, so a push from another node never came.
   */
  async verify(opts: { resync?: boolean; storeWaitMs?: number } = {}): Promise<LoadReport> {
    if (opts.resync) {
      for (const m of this.members) m.client.disconnect();
      await Promise.all(this.members.map((m) => m.client.connect()));
      await Promise.all(this.members.map((m) => m.client.waitConnected(20_000)));
    }
    const failedSends = this.pending.filter((x) => !x.acked).map((x) => `${x.text}${x.settled ? ' failed' : ' never settled'}`);
    // Lost = acked before the server's history is read, and missing from it. A send still in flight
    // here (a run that did not settle) may be acked while the histories are read, after its
    // conversation's was: it counts as failed above, not as acked, lost or found.
    const ackedBefore = this.pending.filter((x) => x.acked);
    const counted = new Map<string, number>();
    const byConv = new Map<string, Array<{ id: string; body: { text?: string } }>>();
    for (const m of this.members) {
      for (const conv of m.convs) {
        if (byConv.has(conv)) continue;
        const msgs = await this.history(conv, m.token);
        byConv.set(conv, msgs);
        for (const msg of msgs) counted.set(msg.body.text ?? '', (counted.get(msg.body.text ?? '') ?? 0) + 1);
      }
    }
    const acked = ackedBefore;
    const lost = acked.filter((x) => !counted.has(x.text)).map((x) => x.text);
    const duplicated = [...counted].filter(([, n]) => n > 1).map(([t, n]) => `${t} ×${n}`);
    const truth = new Map([...byConv].map(([c, msgs]) => [c, msgs.map((x) => x.id).join(',')]));
    await until(() => this.storesMatch(truth), opts.storeWaitMs ?? 10_000);
    const mismatches: string[] = [];
    for (const m of this.members) {
      for (const conv of m.convs) {
        const have = m.client.messages(conv).map((x) => x.id);
        if (have.join(',') !== truth.get(conv)) {
          const seqs = m.client.messages(conv).map((x) => x.seq);
          mismatches.push(`${m.user} ${conv}: store ${have.length} (seqs ${seqs.join(' ')}; state ${m.client.state}) vs server ${byConv.get(conv)!.length}`);
        }
      }
    }
    const notOnceInStores = this.notOnceInStores();
    const reconnectCodes: Record<string, number> = {};
    for (const m of this.members) for (const code of m.reconnects) reconnectCodes[code] = (reconnectCodes[code] ?? 0) + 1;
    return {
      users: this.members.length,
      logins: this.logins,
      sends: this.pending.length,
      acked: acked.length,
      failedSends,
      lost,
      duplicated,
      mismatches,
      notOnceInStores,
      sessionEnded: [...this.sessionEnded],
      refreshes: this.refreshes,
      reconnectCodes,
      clientsReconnected: this.members.filter((m) => m.reconnects.length > 0).length,
    };
  }

  dispose(): void {
    this.sending = false;
    for (const m of this.members) m.client.dispose();
  }
}

/** The users within `k` places of users[i] on a ring (every other user when k is unset or reaches round). */
function ringPeers(users: string[], i: number, k: number | undefined): string[] {
  if (k === undefined || 2 * k >= users.length - 1) return users.filter((_, j) => j !== i);
  const out: string[] = [];
  for (let d = 1; d <= k; d++) out.push(users[(i + d) % users.length]!, users[(i - d + users.length) % users.length]!);
  return out;
}

/** Where one generator's clients spent their last reconnect (the bench's reconnect timeline). */
export interface ReconnectTimeline {
  /** Clients whose last loss of the socket is in the window. */
  clients: number;
  /** Per client, ms from `ref`: the last loss, its first new socket, its upgrade, its hello, its catch-up done. */
  lostMs: number[];
  firstTryMs: number[];
  openMs: number[];
  helloMs: number[];
  syncedMs: number[];
  /** Sockets the SDK opened between the last loss and hello, per client. */
  tries: number[];
  /** Why those sockets failed (error message or close code) and how often. */
  failures: Record<string, number>;
  /** Every loss of a connected socket after `since`, by close code or reason. */
  losses: Record<string, number>;
}

/** The timeline of every member's last reconnect after `since`, in ms relative to `ref`. */
export function reconnectTimeline(members: Member[], since: number, ref: number): ReconnectTimeline {
  const out: ReconnectTimeline = { clients: 0, lostMs: [], firstTryMs: [], openMs: [], helloMs: [], syncedMs: [], tries: [], failures: {}, losses: {} };
  for (const m of members) {
    for (const e of m.trace) if (e.kind === 'lost' && e.t >= since) out.losses[e.detail ?? ''] = (out.losses[e.detail ?? ''] ?? 0) + 1;
    let i = m.trace.length - 1;
    while (i >= 0 && m.trace[i]!.kind !== 'lost') i--;
    if (i < 0 || m.trace[i]!.t < since) continue;
    out.clients++;
    out.lostMs.push(m.trace[i]!.t - ref);
    let tries = 0;
    let open: number | undefined;
    let hello: number | undefined;
    for (const e of m.trace.slice(i + 1)) {
      if (e.kind === 'try') {
        if (tries++ === 0) out.firstTryMs.push(e.t - ref);
        open = undefined;
      } else if (e.kind === 'open') open = e.t;
      else if (hello === undefined && (e.kind === 'fail' || e.kind === 'close')) {
        const why = e.kind === 'fail' ? (e.detail ?? '') : `close ${e.detail} ${open === undefined ? 'before' : 'after'} upgrade`;
        out.failures[why] = (out.failures[why] ?? 0) + 1;
      } else if (e.kind === 'hello' && hello === undefined) {
        hello = e.t;
        out.helloMs.push(e.t - ref);
        if (open !== undefined) out.openMs.push(open - ref);
        out.tries.push(tries);
      } else if (e.kind === 'synced' && hello !== undefined) {
        out.syncedMs.push(e.t - ref);
        break;
      }
    }
  }
  return out;
}
