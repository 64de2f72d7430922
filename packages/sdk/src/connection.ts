import type { HelloFrame, ServerFrame } from '@miniim/protocol';
import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { Heartbeat } from './heartbeat.js';
import { type ConnectionState, type DisconnectReason, type StateChange, type StateReason, transition } from './state.js';
import type { Transport, TransportSocket } from './transport/transport.js';

/** What `getToken` is told: `refresh` is true when the last token was refused (4401 / HTTP 401). */
export interface TokenContext {
  refresh: boolean;
}

/** Supplied by the app; returns a token, or null to stay disconnected (for example: logged out). */
export type GetToken = (ctx: TokenContext) => Promise<string | null | undefined> | string | null | undefined;

/** Options of the socket lifecycle. */
export interface ConnectionOptions {
  wsUrl: string;
  transport: Transport;
  getToken: GetToken;
  backoff?: BackoffOptions;
  /** Time allowed from opening the socket to `hello` (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** Overrides the ping interval announced in `hello.heartbeatMs`. */
  pingIntervalMs?: number;
  /** Silence after a ping that declares the socket dead (default heartbeat / 2, within 2–10 s). */
  deadAfterMs?: number;
}

interface ConnectionEvents {
  state: StateChange;
  hello: HelloFrame;
  frame: ServerFrame;
}

/**
 * Owns the one socket: the state machine, reconnect backoff, heartbeat, token
 * refresh and background pause. It never holds more than one socket: a new attempt
 * closes and detaches the previous one first.
 */
export class Connection extends Emitter<ConnectionEvents> {
  state: ConnectionState = 'disconnected';
  token: string | undefined;
  hello: HelloFrame | undefined;
  readonly backoff: Backoff;
  private socket: TransportSocket | undefined;
  /** Bumped for every attempt and every loss; stale callbacks compare against it. */
  private gen = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private paused = false;
  private refreshToken = false;
  private handshakeFailures = 0;
  private readonly heartbeat: Heartbeat;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.backoff = new Backoff(options.backoff);
    this.heartbeat = new Heartbeat(
      () => this.send({ op: 'ping' }),
      () => this.lost(1006, 'heartbeat_timeout'),
    );
  }

  /** Starts connecting (no-op unless disconnected). */
  connect(): void {
    if (this.state !== 'disconnected') return;
    this.backoff.reset();
    this.setState('connecting', 'connect');
    void this.attempt();
  }

  /** Closes the socket and stops reconnecting. */
  disconnect(): void {
    this.gen++;
    this.clearTimers();
    this.heartbeat.stop();
    this.dropSocket(1000, 'client disconnect');
    this.setState('disconnected', 'closed_by_client');
  }

  /** App went to background: keep the socket if it lives, but do not reconnect. */
  pause(): void {
    this.paused = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  /** App came back: reconnect at once, or probe a socket that may have died silently. */
  resume(): void {
    this.paused = false;
    if (this.state === 'reconnecting') {
      this.backoff.reset();
      void this.attempt();
    } else if (this.state === 'connected') {
      this.heartbeat.probe();
    }
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Sends a frame if connected; returns false otherwise. */
  send(frame: object): boolean {
    if (this.state !== 'connected' || !this.socket) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Gets a token for an HTTP call, reusing the socket's unless `refresh`. */
  async currentToken(refresh = false): Promise<string | null> {
    if (!refresh && this.token) return this.token;
    const token = (await this.options.getToken({ refresh })) ?? null;
    if (token) this.token = token;
    return token;
  }

  private setState(newState: ConnectionState, reason: StateReason, closeCode?: number): void {
    const change = transition(this.state, newState, reason, closeCode);
    if (!change) return;
    this.state = newState;
    this.emit('state', change);
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

  private async attempt(): Promise<void> {
    this.clearTimers();
    const gen = ++this.gen;
    this.dropSocket(1000, 'reconnecting');
    let token: string | null | undefined;
    try {
      token = await this.options.getToken({ refresh: this.refreshToken });
    } catch {
      if (gen === this.gen) this.lost(1006, 'no_token', true);
      return;
    }
    if (gen !== this.gen) return;
    if (!token) {
      this.setState('disconnected', 'no_token');
      return;
    }
    this.token = token;
    const socket = this.options.transport.open(this.options.wsUrl, token, {
      onOpen: () => {},
      onMessage: (data) => {
        if (gen === this.gen) this.onData(data);
      },
      onClose: (code, reason) => {
        if (gen === this.gen) this.lost(code, closeReason(code, reason));
      },
      onError: () => {},
    });
    if (gen !== this.gen) {
      socket.close(1000, 'stale');
      return;
    }
    this.socket = socket;
    this.connectTimer = setTimeout(() => {
      if (gen === this.gen) this.lost(1006, 'connect_timeout');
    }, this.options.connectTimeoutMs ?? 10_000);
  }

  private onData(data: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    this.heartbeat.alive();
    if (frame.op === 'hello') {
      if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      this.hello = frame;
      this.backoff.reset();
      this.refreshToken = false;
      this.handshakeFailures = 0;
      const hb = frame.heartbeatMs > 0 ? frame.heartbeatMs : 25_000;
      const interval = this.options.pingIntervalMs ?? hb;
      const dead = this.options.deadAfterMs ?? Math.min(10_000, Math.max(2_000, Math.floor(hb / 2)));
      this.heartbeat.start(interval, dead);
      this.setState('connected', 'hello');
      this.emit('hello', frame);
      return;
    }
    this.emit('frame', frame);
  }

  /** The socket is gone (closed, failed, timed out or silent): decide what comes next. */
  private lost(code: number, reason: DisconnectReason, hadNoSocket = false): void {
    const wasConnected = this.state === 'connected';
    this.gen++;
    this.clearTimers();
    this.heartbeat.stop();
    this.dropSocket(1000, reason);
    if (reason === 'forbidden' || reason === 'replaced') {
      this.setState('disconnected', reason, code);
      return;
    }
    let delay: number;
    if (!wasConnected && !hadNoSocket) this.handshakeFailures++;
    if (reason === 'unauthorized') {
      this.refreshToken = true;
      // First refusal: ask for a new token and retry at once; repeated refusals back off.
      delay = this.handshakeFailures <= 1 ? 0 : this.backoff.next();
    } else if (reason === 'interrupted') {
      delay = 0; // expected in a mini-program going to background; not a failure
    } else {
      // Browsers hide the HTTP status of a refused upgrade: after two failed handshakes, refresh the token too.
      if (this.handshakeFailures >= 2) this.refreshToken = true;
      delay = this.backoff.next();
    }
    this.setState('reconnecting', this.paused ? 'background' : reason, code);
    if (this.paused) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.attempt();
    }, delay);
  }
}

function closeReason(code: number, reason: string): DisconnectReason {
  if (code === 4401) return 'unauthorized';
  if (code === 4403) return 'forbidden';
  if (code === 4409) return 'replaced';
  if (code === 4408) return 'heartbeat_timeout';
  if (code === 1001) return 'server_going_away';
  if (/interrupted/i.test(reason)) return 'interrupted';
  return 'transport_closed';
}
