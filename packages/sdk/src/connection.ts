import type { HelloFrame, ServerFrame } from '@miniim/protocol';
import type { TokenKeeper } from './auth/token-keeper.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { type CloseVerdict, classifyClose, type SessionEnded, type SessionEndReason } from './close-policy.js';
import { Emitter } from './emitter.js';
import { DEFAULT_HEARTBEAT, type HeartbeatOptions, Liveness } from './liveness.js';
import { type ConnectionState, type DisconnectReason, type StateChange, type StateReason, transition } from './state.js';
import type { Transport, TransportSocket } from './transport/transport.js';

/** Options of the socket lifecycle. */
export interface ConnectionOptions {
  wsUrl: string;
  transport: Transport;
  tokens: TokenKeeper;
  backoff?: BackoffOptions;
  /** Time allowed from opening the socket to `hello` (default 10 000 ms). */
  connectTimeoutMs?: number;
  heartbeat?: HeartbeatOptions;
  /** Whether to keep reconnecting while the app is in the background (web: true; mini-program: false). */
  reconnectInBackground?: boolean;
}

interface ConnectionEvents {
  state: StateChange;
  hello: HelloFrame;
  frame: ServerFrame;
  sessionEnded: SessionEnded;
}

/** While the network is reported down, attempts still run this rarely, in case the report is wrong. */
const OFFLINE_RETRY_MS = 30_000;

/**
 * Owns the one socket: the state machine, reconnect backoff, liveness, token refresh,
 * network and foreground changes. It never holds more than one socket: a new attempt
 * closes and detaches the previous one first. Which closes end the login is decided by
 * `classifyClose` (protocol-v1, "Which closes end a login"); every other loss reconnects
 * with the token and the outbox kept.
 */
export class Connection extends Emitter<ConnectionEvents> {
  state: ConnectionState = 'disconnected';
  hello: HelloFrame | undefined;
  readonly backoff: Backoff;
  private socket: TransportSocket | undefined;
  /** Bumped for every attempt and every loss; stale callbacks compare against it. */
  private gen = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private foreground = true;
  private online = true;
  /** The token the server refused: refresh before the next attempt. */
  private refused: string | undefined;
  /** Refusals in a row (the first retries at once, later ones back off). */
  private refusals = 0;
  /** A `kicked` frame seen on the current socket. */
  private kickedReason: string | undefined;
  private readonly liveness: Liveness;
  private readonly heartbeat: Required<HeartbeatOptions>;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.backoff = new Backoff(options.backoff);
    this.heartbeat = { ...DEFAULT_HEARTBEAT, ...options.heartbeat };
    this.liveness = new Liveness(
      () => this.write({ op: 'ping' }),
      () => this.lost({ kind: 'reconnect', reason: 'heartbeat_timeout' }),
    );
    options.tokens.on('ended', (reason) => this.end(reason));
  }

  /** Starts connecting (no-op unless disconnected). */
  connect(): void {
    if (this.state !== 'disconnected') return;
    this.backoff.reset();
    this.refusals = 0;
    this.setState('connecting', 'connect');
    void this.attempt();
  }

  /** Closes the socket and stops reconnecting. */
  disconnect(): void {
    this.stop();
    this.setState('disconnected', 'closed_by_client');
  }

  /**
   * The app came to the front (true) or left it (false). In front: reconnect at once with the
   * backoff reset, or probe a socket that may have died meanwhile, and use the lower backoff cap.
   * Behind: the higher cap; with `reconnectInBackground: false` (mini-program) no attempts at all.
   */
  setForeground(front: boolean): void {
    if (front === this.foreground) {
      if (front && this.state === 'connected') this.liveness.probe();
      return;
    }
    this.foreground = front;
    this.backoff.foreground = front;
    if (!front) {
      if (!this.mayReconnect() && this.reconnectTimer !== undefined) {
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = undefined;
      }
      return;
    }
    this.kick('resume');
  }

  /** The platform reports the network gone (false) or back (true). Back: reconnect at once, backoff reset. */
  networkChanged(online: boolean): void {
    if (online === this.online) {
      if (online) this.kick('network_back');
      return;
    }
    this.online = online;
    if (online) {
      this.kick('network_back');
      return;
    }
    if (this.state === 'connected') {
      this.liveness.probe(); // the socket may survive a switch of networks; if not, the probe says so
    } else if (this.state === 'reconnecting' || this.state === 'connecting') {
      this.setState('offline', 'network_lost');
      this.schedule(OFFLINE_RETRY_MS);
    }
  }

  get isForeground(): boolean {
    return this.foreground;
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** Sends a frame if connected; returns false otherwise. Every frame sent arms the liveness check. */
  send(frame: object): boolean {
    if (this.state !== 'connected') return false;
    const ok = this.write(frame);
    if (ok) this.liveness.sent();
    return ok;
  }

  /** Checks the socket now: a ping, and "dead" unless something comes back within the heartbeat timeout. */
  probe(): void {
    if (this.state === 'connected') this.liveness.probe();
  }

  /** The heartbeat timeout in force (how long a probe may go unanswered). */
  get probeTimeoutMs(): number {
    return this.heartbeat.timeoutMs;
  }

  private write(frame: object): boolean {
    if (!this.socket) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Reconnect now with the backoff reset (network back, app in front), or probe a live socket. */
  private kick(reason: StateReason): void {
    this.backoff.reset();
    if (this.state === 'connected') {
      this.liveness.probe();
    } else if (this.state === 'reconnecting' || this.state === 'offline') {
      this.setState('reconnecting', reason);
      void this.attempt();
    }
  }

  private mayReconnect(): boolean {
    return this.foreground || this.options.reconnectInBackground !== false;
  }

  private setState(newState: ConnectionState, reason: StateReason, closeCode?: number): void {
    const change = transition(this.state, newState, reason, closeCode);
    if (!change) return;
    this.state = newState;
    this.emit('state', change);
  }

  private stop(): void {
    this.gen++;
    this.clearTimers();
    this.liveness.stop();
    this.dropSocket(1000, 'client disconnect');
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.reconnectTimer = this.connectTimer = undefined;
  }

  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(code, reason);
  }

  /** The login is over: stop and tell the app once (only from the cases `classifyClose` names, or a refused refresh). */
  private end(reason: SessionEndReason, closeCode?: number): void {
    if (this.state === 'disconnected') return;
    this.stop();
    this.setState('disconnected', 'session_ended', closeCode);
    const ended: SessionEnded = { reason };
    if (closeCode !== undefined) ended.closeCode = closeCode;
    this.emit('sessionEnded', ended);
  }

  private async attempt(): Promise<void> {
    this.clearTimers();
    const gen = ++this.gen;
    this.dropSocket(1000, 'reconnecting');
    const tokens = this.options.tokens;
    let token: string | null;
    try {
      if (this.refused !== undefined) {
        const outcome = await tokens.refresh(this.refused);
        if (gen !== this.gen) return;
        if (outcome.kind === 'ended') return; // `ended` was emitted by the keeper and handled by end()
        if (outcome.kind === 'retry') {
          this.lost({ kind: 'reconnect', reason: 'refresh_failed' });
          return;
        }
        this.refused = undefined;
      }
      token = await tokens.token();
    } catch {
      if (gen === this.gen) this.lost({ kind: 'reconnect', reason: 'refresh_failed' });
      return;
    }
    if (gen !== this.gen) return;
    if (!token) {
      this.stop();
      this.setState('disconnected', 'no_token');
      return;
    }
    const used = token;
    let opened = false;
    this.kickedReason = undefined;
    const socket = this.options.transport.open(this.options.wsUrl, token, {
      onOpen: () => {
        opened = true;
      },
      onMessage: (data) => {
        if (gen === this.gen) this.onData(data);
      },
      onClose: (code, reason) => {
        if (gen !== this.gen) return;
        const verdict = classifyClose(code, reason, this.kickedReason);
        if (verdict.kind === 'refresh') this.refused = used;
        if (verdict.kind === 'reconnect' && !opened && this.state !== 'connected') {
          // The upgrade failed and the runtime may hide its HTTP status (browsers): ask over HTTP
          // whether the token is the problem. Only a 401 there leads to a refresh.
          void this.checkRefusal(used, verdict, code);
          return;
        }
        this.lost(verdict, code);
      },
      onError: () => {},
    });
    if (gen !== this.gen) {
      socket.close(1000, 'stale');
      return;
    }
    this.socket = socket;
    this.connectTimer = setTimeout(() => {
      if (gen === this.gen) this.lost({ kind: 'reconnect', reason: 'connect_timeout' });
    }, this.options.connectTimeoutMs ?? 10_000);
  }

  private async checkRefusal(token: string, verdict: CloseVerdict, code: number): Promise<void> {
    this.gen++; // the failed socket's timers and callbacks are void from here on
    this.clearTimers();
    this.dropSocket(1000, 'failed');
    const mine = this.gen;
    const check = await this.options.tokens.check(token);
    if (mine !== this.gen) return;
    if (check === 'invalid') {
      this.refused = token;
      this.lost({ kind: 'refresh', reason: 'unauthorized' }, code);
    } else {
      this.lost(verdict, code);
    }
  }

  private onData(data: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    this.liveness.received();
    if (frame.op === 'hello') {
      if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      this.hello = frame;
      this.backoff.reset();
      this.refusals = 0;
      this.liveness.start(this.heartbeat);
      this.setState('connected', 'hello');
      this.emit('hello', frame);
      return;
    }
    if (frame.op === 'kicked') this.kickedReason = frame.reason;
    this.emit('frame', frame);
  }

  /** The socket is gone (closed, failed, timed out or silent): end the login, or reconnect. */
  private lost(verdict: CloseVerdict, code?: number): void {
    if (verdict.kind === 'end') {
      this.end(verdict.reason, code);
      return;
    }
    this.gen++;
    this.clearTimers();
    this.liveness.stop();
    this.dropSocket(1000, verdict.reason);
    let delay: number;
    if (verdict.kind === 'refresh') {
      // First refusal: refresh and retry at once; refusals in a row back off.
      this.refusals++;
      delay = this.refusals <= 1 ? 0 : this.backoff.next();
    } else if (verdict.reason === 'interrupted') {
      delay = 0; // expected in a mini-program going to background; not a failure
    } else {
      delay = this.backoff.next();
    }
    const reason: DisconnectReason = this.mayReconnect() ? verdict.reason : 'background';
    this.setState(this.online ? 'reconnecting' : 'offline', reason, code);
    this.schedule(this.online ? delay : Math.max(delay, OFFLINE_RETRY_MS));
  }

  private schedule(delay: number): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (!this.mayReconnect()) return; // setForeground(true) reconnects
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.attempt();
    }, delay);
  }
}
