/**
 * WebSocket gateway: authenticated upgrade on the HTTP port, `hello`, frame
 * limits, per-socket rate limits, heartbeat, dispatch of client ops to the
 * core, and delivery of bus frames to local sessions.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ClientFrame, CloseCodes, DEFAULT_LIMITS, extractRid, ImError, type Limits, parseClientFrame, type User } from '@miniim/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Bus, Delivery } from '../cluster/bus.js';
import type { SharedState } from '../cluster/shared-state.js';
import type { Config } from '../config/config.js';
import { type AuthService, parseBearer } from '../core/auth-service.js';
import type { ConversationService } from '../core/conversation-service.js';
import { normalizeError } from '../core/errors.js';
import { newSessionId } from '../core/ids.js';
import type { MessageService } from '../core/message-service.js';
import { RateLimiter, type SharedLimiter } from '../core/rate-limiter.js';
import type { RevocationEvent, SessionRevocations } from '../core/session-revocations.js';
import type { Logger } from '../logger.js';
import type { Metrics, Platform } from '../metrics/metrics.js';
import { clientPlatform } from './client-platform.js';
import { type LoginRef, Session } from './session.js';
import { SessionRegistry } from './session-registry.js';
import { wsOriginAllowed } from './ws-origin.js';

export interface GatewayDeps {
  config: Config;
  auth: AuthService;
  /** Ended login sessions: their sockets are closed at once. */
  revocations: SessionRevocations;
  messages: MessageService;
  conversations: ConversationService;
  bus: Bus;
  /** Where the per-user send rate and socket cap are counted across nodes. */
  shared: SharedState;
  logger: Logger;
  metrics: Metrics;
}

/** Close code for a client that cannot keep up with its deliveries (extension, see docs/protocol.md). */
export const CLOSE_SLOW_CONSUMER = CloseCodes.tryAgainLater;

/**
 * Requests of one socket executed at once; later ones wait while the socket is not read
 * (back-pressure), so one client cannot start unbounded work (docs/protocol.md).
 */
export const MAX_RUNNING_PER_SOCKET = 16;
/** Bytes of requests waiting per socket beyond which a frame is refused (only reached with frames near the frame limit). */
export const MAX_WAITING_BYTES_PER_SOCKET = 256 * 1024;
/** `retryAfterMs` of a request refused because its socket's queue was full. */
const QUEUE_FULL_RETRY_MS = 500;

/** Longest wait for in-flight frames (commits and their acks) during a graceful shutdown. */
const DRAIN_MS = 5_000;

export class Gateway {
  readonly sessions = new SessionRegistry();
  private readonly wss: WebSocketServer;
  private readonly limiter: RateLimiter;
  private readonly typingLimiter: RateLimiter;
  /** `send`s per user across all their sockets, on every node (so ten sockets do not multiply the rate). */
  private readonly userSendLimiter: SharedLimiter;
  private readonly limits: Limits;
  private heartbeat: NodeJS.Timeout | null = null;
  private accepting = true;
  /** Client frames being handled (a `send` waits for its commit); drained on shutdown. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly d: GatewayDeps) {
    const c = d.config;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: c.maxFrameBytes, perMessageDeflate: false });
    this.limiter = new RateLimiter(c.socketFramesPerSec, c.socketFramesPerSec * 2, c.rateLimits);
    this.typingLimiter = new RateLimiter(2, 4, c.rateLimits);
    this.userSendLimiter = d.shared.limiter('send', c.socketFramesPerSec, c.socketFramesPerSec * 2, c.rateLimits);
    this.limits = {
      maxFrameBytes: c.maxFrameBytes,
      maxTextChars: DEFAULT_LIMITS.maxTextChars,
      maxCustomBytes: DEFAULT_LIMITS.maxCustomBytes,
      historyMaxLimit: DEFAULT_LIMITS.historyMaxLimit,
      recallWindowMs: c.recallWindowMs,
      presenceMaxUsers: DEFAULT_LIMITS.presenceMaxUsers,
    };
    d.bus.onDelivery((delivery) => this.deliver(delivery));
    d.revocations.on((e) => this.onRevoked(e));
    d.bus.setLoadSource(() => ({ sockets: this.sessions.size, users: this.sessions.users }));
    d.bus.onPresence((userId, online) => {
      const watchers = this.sessions.watchersOf(userId);
      if (!watchers) return;
      const payload = JSON.stringify({ op: 'presence', user: userId, online });
      for (const s of watchers) s.sendRaw(payload);
    });
    // Cross-node pushes may have been missed while the bus was down: every client fetches its gaps.
    // Redis may have lost this node's share of the socket cap too: it is written again.
    d.bus.onRecovered(() => {
      const payload = JSON.stringify({ op: 'resync', reason: 'bus_recovered' });
      const open: Array<{ userId: string; sessionId: string; openedAt: number }> = [];
      for (const s of this.sessions.all()) {
        if (s.closing || s.closed) continue;
        s.sendRaw(payload);
        open.push({ userId: s.userId, sessionId: s.id, openedAt: s.openedAt });
      }
      void d.shared.sockets.reassert(open);
    });
    d.bus.onEvent((e) => {
      if (e.type === 'sockets_replaced') this.closeReplaced(e.userId, e.sessionIds);
    });
  }

  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => {
      this.onUpgrade(req, socket, head).catch((err) => {
        this.d.logger.error({ err }, 'upgrade failed');
        rejectUpgrade(socket, 500, 'internal', 'internal error');
      });
    });
    const every = this.d.config.heartbeatMs;
    this.heartbeat = setInterval(() => this.sweep(), Math.min(every, 5000));
    this.heartbeat.unref();
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== this.d.config.wsPath) return rejectUpgrade(socket, 404, 'not_found', 'no such endpoint');
    if (!this.accepting) return rejectUpgrade(socket, 503, 'unavailable', 'server is shutting down');
    if (!wsOriginAllowed(this.d.config.allowedOrigins, req)) return rejectUpgrade(socket, 403, 'forbidden', 'origin not allowed');
    const token = parseBearer(req.headers.authorization) ?? url.searchParams.get('token') ?? undefined;
    let user: User;
    let login: LoginRef;
    try {
      ({ user, session: login } = await this.d.auth.verifyWithUser(token));
    } catch (e) {
      if (!(e instanceof ImError) || e.code !== 'unauthorized') throw e;
      return rejectUpgrade(socket, 401, 'unauthorized', e.message);
    }
    // The shutdown may have begun while the token was being checked.
    if (!this.accepting) return rejectUpgrade(socket, 503, 'unavailable', 'server is shutting down');
    const platform = clientPlatform(req);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, user, login, platform));
  }

  private onConnection(ws: WebSocket, user: Session['user'], login: LoginRef, platform: Platform): void {
    const s = new Session(
      newSessionId(),
      user,
      ws,
      {
        maxBytes: this.d.config.maxSocketBufferBytes,
        onOverflow: (slow) => this.close(slow, CLOSE_SLOW_CONSUMER, 'slow_consumer'),
      },
      { sessionId: login.sessionId, expiresAt: login.expiresAt },
      {
        maxRunning: MAX_RUNNING_PER_SOCKET,
        maxWaitingBytes: MAX_WAITING_BYTES_PER_SOCKET,
        run: (session, frame) => this.dispatch(session, frame).catch((e) => this.replyError(session, 'rid' in frame ? frame.rid : undefined, e)),
        mayStart: (session) => this.mayStart(session),
      },
      platform,
    );
    this.armExpiry(s);
    if (this.sessions.add(s)) this.d.bus.setLocalOnline(user.id, true);
    this.capSockets(user.id);
    void this.capSocketsAcrossNodes(s);
    this.d.metrics.sockets[platform].inc();
    s.send({
      op: 'hello',
      user,
      sessionId: s.id,
      serverTime: Date.now(),
      heartbeatMs: this.d.config.heartbeatMs,
      limits: this.limits,
    });
    ws.on('message', (data, isBinary) => this.onMessage(s, data as Buffer, isBinary));
    ws.on('pong', () => {
      s.lastSeen = Date.now();
    });
    ws.on('close', () => this.onClose(s));
    ws.on('error', (err) => {
      // ws reports protocol violations (e.g. frames over maxPayload → 1009) here and closes the socket itself.
      this.d.logger.debug({ err: err.message, user: s.userId }, 'socket error');
    });
  }

  /** Over `maxSocketsPerUser`, the user's oldest sockets are closed with 4409 (replaced). */
  private capSockets(userId: string): void {
    const set = this.sessions.sessionsOf(userId);
    if (!set) return;
    let open = 0;
    for (const s of set) if (!s.closing) open++;
    for (const s of set) {
      if (open <= this.d.config.maxSocketsPerUser) return;
      if (s.closing) continue;
      this.close(s, CloseCodes.replaced, 'replaced');
      open--;
    }
  }

  /**
   * The cap across nodes: the ledger names the user's oldest sockets over it, wherever they
   * are; this node closes its own and tells the others to close theirs.
   */
  private async capSocketsAcrossNodes(s: Session): Promise<void> {
    const over = await this.d.shared.sockets.opened(s.userId, s.id, s.openedAt);
    if (over.length === 0) return;
    const elsewhere = over.filter((id) => !this.closeReplaced(s.userId, [id]));
    if (elsewhere.length > 0) this.d.bus.broadcast({ type: 'sockets_replaced', userId: s.userId, sessionIds: elsewhere });
  }

  /** Closes those of the user's sessions that are on this node with 4409; returns whether any was. */
  private closeReplaced(userId: string, sessionIds: readonly string[]): boolean {
    let found = false;
    for (const s of this.sessionsOf(userId, sessionIds)) {
      found = true;
      this.close(s, CloseCodes.replaced, 'replaced');
    }
    return found;
  }

  private *sessionsOf(userId: string, ids: readonly string[]): Iterable<Session> {
    const set = this.sessions.sessionsOf(userId);
    if (!set) return;
    for (const s of set) if (ids.includes(s.id)) yield s;
  }

  /** A socket lives no longer than its token: closed with 4401 at `expiresAt` (the client refreshes and reconnects). */
  private armExpiry(s: Session): void {
    const left = s.login.expiresAt - Date.now();
    if (left <= 0) {
      this.close(s, CloseCodes.unauthorized, 'token expired', false);
      return;
    }
    // setTimeout holds at most ~24.8 days; longer tokens re-arm.
    s.expiryTimer = setTimeout(() => this.armExpiry(s), Math.min(left, 2 ** 31 - 1));
    s.expiryTimer.unref();
  }

  /** Closes the sockets of a revoked login session (or of every session of the user), on this node. */
  private onRevoked(e: RevocationEvent): void {
    const set = this.sessions.sessionsOf(e.userId);
    if (!set) return;
    for (const s of [...set]) {
      if (e.sessionId !== undefined && s.login.sessionId !== e.sessionId) continue;
      if (e.reason === 'banned') this.close(s, CloseCodes.forbidden, 'banned');
      // A refresh keeps the login: no `kicked`, the client reconnects with its new token.
      else if (e.reason === 'refresh') this.close(s, CloseCodes.unauthorized, 'token refreshed', false);
      else this.close(s, CloseCodes.unauthorized, e.reason);
    }
  }

  private onClose(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    clearTimeout(s.expiryTimer);
    s.requests.clear();
    this.d.metrics.sockets[s.platform].dec();
    this.limiter.forget(s.id);
    this.d.shared.sockets.closed(s.userId, s.id);
    if (this.sessions.remove(s)) this.d.bus.setLocalOnline(s.userId, false);
  }

  /** Closes a session once (and counts it once), telling the client why where the code is ours to explain. */
  private close(s: Session, code: number, reason: string, kick = code >= 4000 || code === CLOSE_SLOW_CONSUMER): void {
    if (s.closing || s.closed) return;
    this.d.metrics.closes(code).inc();
    if (code === CLOSE_SLOW_CONSUMER) this.d.metrics.slowConsumerCloses.inc();
    // A restart is not a kick: the client must reconnect and keep its login (protocol-v1, "Which closes end a login").
    const explain = kick;
    s.close(code, reason, explain ? [{ op: 'kicked', reason }] : []);
    // A peer that never answers the close handshake is cut off, but only once the close
    // frame has reached the kernel; until then ws's own close timeout (30 s) applies, so a
    // client that resumes reading still receives the code.
    setTimeout(() => {
      if (s.unflushed === 0) s.ws.terminate();
    }, 2000).unref();
  }

  private onMessage(s: Session, data: Buffer, isBinary: boolean): void {
    s.lastSeen = Date.now();
    if (s.closing) return;
    if (s.full) {
      // Its replies could not be queued: the request is not executed.
      this.close(s, CLOSE_SLOW_CONSUMER, 'slow_consumer');
      return;
    }
    this.d.metrics.framesIn.inc();
    let raw: unknown;
    try {
      if (isBinary) throw new Error('binary');
      raw = JSON.parse(data.toString('utf8'));
    } catch {
      this.close(s, CloseCodes.invalidFrame, 'frame is not JSON text');
      return;
    }
    const wait = this.limiter.take(s.id);
    if (wait > 0) {
      s.strikes++;
      if (s.strikes > this.d.config.socketFramesPerSec * 2) this.close(s, CloseCodes.flood, 'flood');
      else this.replyError(s, extractRid(raw), new ImError('rate_limited', 'too many frames', wait));
      return;
    }
    s.strikes = 0;
    if (!this.accepting) {
      // Draining for a restart: nothing new is started; the client resends after reconnecting.
      this.replyError(s, extractRid(raw), new ImError('unavailable', 'server is restarting'));
      return;
    }
    let frame: ClientFrame;
    try {
      frame = parseClientFrame(raw, this.limits);
    } catch (e) {
      this.replyError(s, extractRid(raw), e);
      return;
    }
    const handled = s.requests.submit(frame, data.length);
    if (!handled) {
      this.replyError(s, extractRid(raw), new ImError('rate_limited', 'too many requests waiting on this socket', QUEUE_FULL_RETRY_MS));
      return;
    }
    this.inFlight.add(handled);
    void handled.finally(() => this.inFlight.delete(handled));
  }

  /** A queued request starts only while its socket can take the reply; over the bound the socket is closed (1013). */
  private mayStart(s: Session): boolean {
    if (s.closing || s.closed) return false;
    if (!s.full) return true;
    this.close(s, CLOSE_SLOW_CONSUMER, 'slow_consumer');
    return false;
  }

  private async dispatch(s: Session, f: ClientFrame): Promise<void> {
    const uid = s.userId;
    switch (f.op) {
      case 'send': {
        const wait = await this.userSendLimiter.take(uid);
        if (wait > 0) {
          this.d.metrics.sends('ws', f.kind, 'rate_limited').inc();
          throw new ImError('rate_limited', 'too many messages from this user', wait);
        }
        s.sendStarted();
        try {
          const msg = await this.d.messages.send({ userId: uid, sessionId: s.id }, f);
          s.send({ op: 'ack', rid: f.rid, msg });
        } finally {
          s.sendEnded();
        }
        return;
      }
      case 'read': {
        const r = await this.d.conversations.read(uid, f.conv, f.seq, s.id);
        s.send(f.rid === undefined ? { op: 'ack', ...r } : { op: 'ack', rid: f.rid, ...r });
        return;
      }
      case 'history': {
        const range = { limit: f.limit ?? DEFAULT_LIMITS.historyDefaultLimit, before: f.before, after: f.after };
        const r = await this.d.messages.history(uid, f.conv, range);
        s.send({ op: 'history', rid: f.rid, conv: f.conv, messages: r.messages, hasMore: r.hasMore });
        return;
      }
      case 'convs': {
        const r = await this.d.conversations.list(uid, f.limit ?? 50, f.cursor);
        s.send({ op: 'convs', rid: f.rid, ...r });
        return;
      }
      case 'recall': {
        const r = await this.d.messages.recall(uid, f.conv, f.seq);
        s.send({ op: 'ack', rid: f.rid, ...r });
        return;
      }
      case 'typing':
        if (this.typingLimiter.take(uid) === 0) await this.d.messages.typing(uid, f.to);
        return;
      case 'presence': {
        const online = await this.d.bus.isOnline(f.users);
        if (f.watch) for (const u of f.users) this.sessions.watch(s, u);
        else if (f.watch === false) for (const u of f.users) this.sessions.unwatch(s, u);
        s.send({ op: 'presence', rid: f.rid, online: Object.fromEntries(online) });
        return;
      }
      case 'ping':
        s.send(f.rid === undefined ? { op: 'pong', ts: Date.now() } : { op: 'pong', rid: f.rid, ts: Date.now() });
        return;
    }
  }

  private replyError(s: Session, rid: string | undefined, e: unknown): void {
    const err = normalizeError(e, this.d.logger, { user: s.userId });
    this.d.metrics.frameErrors(err.code).inc();
    const frame: Record<string, unknown> = { op: 'error' };
    if (rid !== undefined) frame.rid = rid;
    Object.assign(frame, err.toBody());
    s.send(frame);
  }

  /** Sends a bus delivery to this node's sessions of the addressed users. */
  private deliver(d: Delivery): void {
    let handed = false;
    for (const userId of d.userIds) {
      const set = this.sessions.sessionsOf(userId);
      if (!set) continue;
      for (const s of set) {
        if (s.id === d.exceptSessionId) continue;
        if (d.remote) s.push(d.payload);
        else s.sendRaw(d.payload);
        handed = true;
      }
    }
    // Only where the push reached a socket (or was held for its ack): in a cluster the publishing node sees every delivery too.
    if (handed && d.ts !== undefined) this.d.metrics.delivery.observe(Math.max(0, Date.now() - d.ts) / 1000);
  }

  private sweep(): void {
    const now = Date.now();
    const deadline = this.d.config.heartbeatMs * 2.5;
    const pingDue = this.d.config.heartbeatMs;
    for (const s of this.sessions.all()) {
      if (s.closed) continue;
      const idle = now - s.lastSeen;
      if (idle > deadline) this.close(s, CloseCodes.heartbeatTimeout, 'heartbeat timeout');
      else if (idle >= pingDue - 1 && s.ws.readyState === 1) s.ws.ping();
    }
  }

  /**
   * Graceful shutdown: stops accepting sockets and frames, lets the frames in flight finish
   * (a `send` is committed and acked), then closes every socket with 1012 and no `kicked`,
   * so clients reconnect with their token and outbox.
   */
  async shutdown(): Promise<void> {
    this.accepting = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.race([Promise.all([...this.inFlight]), sleep(DRAIN_MS)]);
    const closing: Promise<void>[] = [];
    for (const s of [...this.sessions.all()]) {
      if (s.closed || s.ws.readyState > 1) continue;
      closing.push(new Promise((resolve) => s.ws.once('close', () => resolve())));
      this.close(s, CloseCodes.serviceRestart, 'service restart');
    }
    await Promise.race([Promise.all(closing), sleep(3000)]);
    this.wss.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
