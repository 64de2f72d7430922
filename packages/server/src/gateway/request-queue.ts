/**
 * Per-socket flow control of client requests: at most `maxRunning` run at once (each
 * may wait on the database); later ones wait, in arrival order. While anything waits,
 * the socket is not read (TCP back-pressure on the client), so what waits is at most
 * what had been read before the pause (one socket read, or one frame). The waiting
 * frames' bytes are bounded by `maxWaitingBytes` all the same: a frame that would go
 * over it is refused by the caller, never dropped silently.
 */

export interface RequestQueueHooks<T> {
  /** Runs one request; settles when its reply is queued. Never rejects. */
  run(item: T): Promise<void>;
  /** Whether a waiting request may still start (false: it is dropped unexecuted). */
  mayStart(): boolean;
  /** Stop / restart reading the socket. */
  pause(): void;
  resume(): void;
}

interface Waiting<T> {
  item: T;
  bytes: number;
  done: () => void;
}

export class RequestQueue<T> {
  private running = 0;
  private waiting: Waiting<T>[] = [];
  private waitingBytes = 0;
  private paused = false;

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaitingBytes: number,
    private readonly hooks: RequestQueueHooks<T>,
  ) {}

  /** Requests running or waiting. */
  get size(): number {
    return this.running + this.waiting.length;
  }

  /**
   * Starts or queues `item` (`bytes`: its size on the wire). Returns a promise settled once
   * it ran (or was dropped unexecuted), or undefined when the queue is full and the caller
   * must refuse it.
   */
  submit(item: T, bytes: number): Promise<void> | undefined {
    if (this.running < this.maxRunning && this.waiting.length === 0) return this.start(item);
    if (this.waiting.length > 0 && this.waitingBytes + bytes > this.maxWaitingBytes) return undefined;
    this.waitingBytes += bytes;
    const p = new Promise<void>((done) => this.waiting.push({ item, bytes, done }));
    if (!this.paused) {
      this.paused = true;
      this.hooks.pause();
    }
    return p;
  }

  /** Drops every waiting request unexecuted and reads the socket again (it is closing: its close frame must be read). */
  clear(): void {
    const dropped = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const w of dropped) w.done();
    this.unpause();
  }

  private start(item: T): Promise<void> {
    this.running++;
    return this.hooks.run(item).finally(() => {
      this.running--;
      this.next();
    });
  }

  private next(): void {
    if (this.waiting.length > 0 && !this.hooks.mayStart()) this.clear();
    while (this.running < this.maxRunning && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      this.waitingBytes -= w.bytes;
      this.start(w.item).then(w.done);
    }
    if (this.waiting.length === 0) this.unpause();
  }

  private unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.hooks.resume();
  }
}
