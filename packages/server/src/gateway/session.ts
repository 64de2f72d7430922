/** One authenticated WebSocket connection and its bounded outbound queue. */

import type { Socket } from 'node:net';
import type { ClientFrame, User } from '@miniim/protocol';
import type WebSocket from 'ws';
import type { Platform } from '../metrics/metrics.js';
import { RequestQueue } from './request-queue.js';

/**
 * Sockets written to in this turn of the event loop, corked so that every frame a
 * socket gets in one turn (acks and pushes of a committed batch) leaves in one
 * writev; all are uncorked together when the turn ends.
 */
const corked: Socket[] = [];
function uncorkAll(): void {
  for (const sock of corked) sock.uncork();
  corked.length = 0;
}

/**
 * Longest a push waits for the ack of its socket's own send (see Session.push): a commit that
 * hangs must not hold up what the user receives.
 */
export const PUSH_HOLD_MAX_MS = 20;
/** Sessions holding pushes; their holds are ended by one shared timer once they are due. */
const holding = new Set<Session>();
let holdTimer: NodeJS.Timeout | undefined;
function armHoldTimer(delayMs = PUSH_HOLD_MAX_MS): void {
  if (holdTimer !== undefined) return;
  holdTimer = setTimeout(endDueHolds, delayMs);
  holdTimer.unref();
}
function endDueHolds(): void {
  holdTimer = undefined;
  const now = Date.now();
  let oldest = Number.POSITIVE_INFINITY;
  for (const s of holding) {
    if (s.heldSince <= now - PUSH_HOLD_MAX_MS) s.releaseHeld();
    else oldest = Math.min(oldest, s.heldSince);
  }
  // Next due: the oldest hold still waiting, so no push waits past PUSH_HOLD_MAX_MS.
  if (holding.size > 0) armHoldTimer(Math.max(1, oldest + PUSH_HOLD_MAX_MS - now));
}

/** How a session bounds what is queued for its client. */
export interface OutboundLimits {
  /** Every byte queued for the client (socket buffer + frames waiting for it) counts against this. */
  maxBytes: number;
  /** Called once, when a frame would push the backlog over `maxBytes` (the frame is dropped). */
  onOverflow: (s: Session) => void;
}

/** How a session bounds the requests of its client (see RequestQueue). */
export interface InboundLimits {
  /** Requests executed at once. */
  maxRunning: number;
  /** Bytes of the requests waiting for a free slot (the socket is not read meanwhile). */
  maxWaitingBytes: number;
  /** Executes one request; settles when it is answered; never rejects. */
  run: (s: Session, frame: ClientFrame) => Promise<void>;
  /** Whether waiting requests may still start (false: they are dropped unexecuted). */
  mayStart: (s: Session) => boolean;
}

/**
 * Frames are written to the socket while its buffer is under this mark; beyond it they
 * wait in the session's own queue (written on `drain`), so that a slow consumer's
 * backlog can be dropped at once and the close frame reaches the client right behind
 * what is already in the socket.
 */
const SOCKET_HIGH_WATER = 256 * 1024;

/** The login session (token) a socket was opened with. */
export interface LoginRef {
  sessionId: string;
  expiresAt: number;
}

export class Session {
  /** When the socket opened (the connection cap closes the oldest first, on any node). */
  readonly openedAt = Date.now();
  lastSeen = Date.now();
  /** Consecutive frames refused by the rate limiter (a flood closes the socket). */
  strikes = 0;
  readonly watching = new Set<string>();
  /** The socket is gone. */
  closed = false;
  /** The server started closing this socket: nothing more is sent or executed. */
  closing = false;
  private readonly queue: string[] = [];
  private queued = 0;
  /** `send`s of this socket waiting for their commit (each ends with an ack or an error reply). */
  private sendsPending = 0;
  /** Pushes waiting to leave with the next reply (see push()). */
  private held: string[] = [];
  private heldBytes = 0;
  /** When the oldest held push was held (epoch ms). */
  heldSince = 0;
  private readonly sock: Socket | undefined;
  /** Closes the socket when its token expires (cleared on close). */
  expiryTimer: NodeJS.Timeout | undefined;
  /** The client's requests: a few run at once, the rest wait while the socket is not read. */
  readonly requests: RequestQueue<ClientFrame>;

  constructor(
    readonly id: string,
    readonly user: User,
    readonly ws: WebSocket,
    private readonly out: OutboundLimits,
    readonly login: LoginRef,
    inbound: InboundLimits,
    /** Which kind of client opened it (metrics label). */
    readonly platform: Platform = 'other',
  ) {
    this.sock = (ws as unknown as { _socket?: Socket })._socket;
    this.sock?.on('drain', () => this.flush());
    this.requests = new RequestQueue(inbound.maxRunning, inbound.maxWaitingBytes, {
      run: (frame) => inbound.run(this, frame),
      mayStart: () => inbound.mayStart(this),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
    });
  }

  get userId(): string {
    return this.user.id;
  }

  /** Bytes queued for the client and not yet handed to the kernel. */
  get backlog(): number {
    return this.ws.bufferedAmount + this.queued + this.heldBytes;
  }

  /** True when the backlog is at its bound: requests from this socket are not executed. */
  get full(): boolean {
    return this.backlog >= this.out.maxBytes;
  }

  /**
   * Sends an already-serialised frame if the socket is open. A frame that would take
   * the backlog over the bound is dropped and the session overflows (once).
   */
  sendRaw(payload: string): void {
    if (this.closing || this.closed || this.ws.readyState !== 1) return;
    if (this.backlog + payload.length > this.out.maxBytes) {
      this.overflow();
      return;
    }
    if (this.held.length > 0) this.releaseHeld();
    this.enqueue(payload);
  }

  /**
   * Sends a push published by another node. While one of this socket's own sends waits for its
   * commit, and nothing was written to the socket in this turn yet, the push is held and leaves
   * with that send's ack: one socket write instead of two, as on one node, where a push and the
   * acks of the same commit leave together (across nodes, pushes arrive from the bus apart from
   * the commits that ack this node's sends). It waits PUSH_HOLD_MAX_MS at most. Holding only
   * delays: every frame still leaves in the order it was sent.
   */
  push(payload: string): void {
    if (this.sendsPending === 0 || this.sock?.writableCorked || this.closing || this.closed || this.ws.readyState !== 1) {
      this.sendRaw(payload);
      return;
    }
    if (this.backlog + payload.length > this.out.maxBytes) {
      this.overflow();
      return;
    }
    if (this.held.length === 0) {
      this.heldSince = Date.now();
      holding.add(this);
      armHoldTimer();
    }
    this.held.push(payload);
    this.heldBytes += payload.length;
  }

  /** A `send` of this socket started: pushes may wait for its reply. */
  sendStarted(): void {
    this.sendsPending++;
  }

  /** A `send` of this socket was answered (or failed): nothing waits for it any more. */
  sendEnded(): void {
    this.sendsPending--;
    if (this.sendsPending === 0 && this.held.length > 0) this.releaseHeld();
  }

  /** Writes the held pushes now (their bytes were already counted against the bound). */
  releaseHeld(): void {
    holding.delete(this);
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    if (this.closing || this.closed || this.ws.readyState !== 1) return;
    for (const payload of held) this.enqueue(payload);
  }

  private enqueue(payload: string): void {
    if (this.queued > 0 || this.ws.bufferedAmount >= SOCKET_HIGH_WATER) {
      this.queue.push(payload);
      this.queued += payload.length;
      return;
    }
    this.write(payload);
  }

  send(frame: object): void {
    this.sendRaw(JSON.stringify(frame));
  }

  /**
   * Starts closing: drops what waits in the session's queue, sends `frames` (e.g.
   * `kicked`) and the close frame right behind what the socket already holds.
   */
  close(code: number, reason: string, frames: object[] = []): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.dropQueue();
    this.requests.clear();
    if (this.ws.readyState !== 1) return;
    for (const f of frames) this.write(JSON.stringify(f));
    this.ws.close(code, reason);
  }

  /** Bytes still waiting in user space for the kernel (the close frame included). */
  get unflushed(): number {
    return this.sock?.writableLength ?? 0;
  }

  private overflow(): void {
    this.dropQueue();
    this.out.onOverflow(this);
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.queued = 0;
    this.held = [];
    this.heldBytes = 0;
    holding.delete(this);
  }

  private write(payload: string): void {
    const sock = this.sock;
    if (sock && !sock.writableCorked) {
      if (corked.length === 0) process.nextTick(uncorkAll);
      sock.cork();
      corked.push(sock);
    }
    this.ws.send(payload);
  }

  private flush(): void {
    if (this.closing || this.closed) return;
    let i = 0;
    while (i < this.queue.length && this.ws.bufferedAmount < SOCKET_HIGH_WATER) {
      const payload = this.queue[i++]!;
      this.queued -= payload.length;
      this.write(payload);
    }
    this.queue.splice(0, i);
  }
}
