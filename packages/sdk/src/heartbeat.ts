/**
 * App-level heartbeat: sends `ping` every `intervalMs` and declares the socket dead
 * when nothing at all arrives within `deadAfterMs` of a ping. Mini-program sockets can
 * die without any close or error callback, so this timer is the only reliable signal.
 */
export class Heartbeat {
  private interval: ReturnType<typeof setInterval> | undefined;
  private deadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly sendPing: () => void,
    private readonly onDead: () => void,
  ) {}

  start(intervalMs: number, deadAfterMs: number): void {
    this.stop();
    this.interval = setInterval(() => this.probe(deadAfterMs), intervalMs);
    this.deadAfterMs = deadAfterMs;
  }

  private deadAfterMs = 10_000;

  /** Pings now and arms the dead-socket timer (also used on `wx.onAppShow`). */
  probe(deadAfterMs = this.deadAfterMs): void {
    this.sendPing();
    if (this.deadTimer === undefined) {
      this.deadTimer = setTimeout(() => {
        this.deadTimer = undefined;
        this.onDead();
      }, deadAfterMs);
    }
  }

  /** Any frame from the server proves the socket alive. */
  alive(): void {
    if (this.deadTimer !== undefined) {
      clearTimeout(this.deadTimer);
      this.deadTimer = undefined;
    }
  }

  stop(): void {
    if (this.interval !== undefined) clearInterval(this.interval);
    this.interval = undefined;
    this.alive();
  }
}
