/** Heartbeat settings of a client. */
export interface HeartbeatOptions {
  /** Ping when nothing has arrived for this long (default 5 000 ms). */
  intervalMs?: number;
  /**
   * How long a frame sent may go without anything coming back before the socket is probed,
   * and how long a probe may go unanswered before the socket is declared dead (default 3 000 ms).
   */
  timeoutMs?: number;
}

export const DEFAULT_HEARTBEAT: Required<HeartbeatOptions> = { intervalMs: 5_000, timeoutMs: 3_000 };

/**
 * Notices a dead socket, including one that died silently (a black-holed network sends no
 * FIN; mini-program close callbacks sometimes never fire). Every frame sent arms a timer:
 * with nothing received within `timeoutMs`, a `ping` probes the socket, and with nothing
 * received within another `timeoutMs` the socket is dead. An idle socket is probed every
 * `intervalMs`. Worst case from black hole to "dead": idle `intervalMs + tick + timeoutMs`,
 * busy `2 × timeoutMs` after the next frame sent.
 */
export class Liveness {
  private ticker: ReturnType<typeof setInterval> | undefined;
  private answerTimer: ReturnType<typeof setTimeout> | undefined;
  private deadTimer: ReturnType<typeof setTimeout> | undefined;
  private lastReceived = 0;
  private settings: Required<HeartbeatOptions> = DEFAULT_HEARTBEAT;
  private running = false;

  constructor(
    /** Sends `{op: 'ping'}` on the current socket; returns false when it could not. */
    private readonly sendPing: () => boolean,
    private readonly onDead: () => void,
  ) {}

  start(settings: Required<HeartbeatOptions>): void {
    this.stop();
    this.settings = settings;
    this.running = true;
    this.lastReceived = Date.now();
    const tick = Math.max(100, Math.min(500, Math.floor(settings.intervalMs / 8)));
    this.ticker = setInterval(() => {
      if (Date.now() - this.lastReceived >= settings.intervalMs) this.probe();
    }, tick);
  }

  /** A frame went out: expect something back within `timeoutMs`. */
  sent(): void {
    if (!this.running || this.answerTimer !== undefined || this.deadTimer !== undefined) return;
    this.answerTimer = setTimeout(() => {
      this.answerTimer = undefined;
      this.probe();
    }, this.settings.timeoutMs);
  }

  /** Pings now and declares the socket dead unless something arrives within `timeoutMs`. */
  probe(): void {
    if (!this.running) return;
    if (this.answerTimer !== undefined) clearTimeout(this.answerTimer);
    this.answerTimer = undefined;
    if (this.deadTimer !== undefined) return;
    this.deadTimer = setTimeout(() => {
      // On a busy event loop this timer can fire late, ahead of an answer already waiting to be read
      // (Node runs due timers before it reads sockets): one more turn lets that answer reach
      // received(), which clears this timer, before the socket is called dead. Under a CPU-starved
      // generator at 10,000 clients, thousands of live sockets were dropped that way (heartbeat_timeout).
      this.deadTimer = setTimeout(() => {
        this.deadTimer = undefined;
        this.onDead();
      }, 0);
    }, this.settings.timeoutMs);
    if (!this.sendPing()) {
      clearTimeout(this.deadTimer);
      this.deadTimer = undefined;
      this.onDead();
    }
  }

  /** Any frame from the server proves the socket alive. */
  received(): void {
    this.lastReceived = Date.now();
    if (this.answerTimer !== undefined) clearTimeout(this.answerTimer);
    if (this.deadTimer !== undefined) clearTimeout(this.deadTimer);
    this.answerTimer = this.deadTimer = undefined;
  }

  stop(): void {
    this.running = false;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    this.received();
  }
}
