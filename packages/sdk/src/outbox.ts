import type { ClientMessageKind, MessageBody, Msg, SendAckFrame } from '@miniim/protocol';
import { ImError } from '@miniim/protocol';
import { REQUEST_TIMED_OUT } from './requests.js';
import type { ClientMessage } from './store.js';

/** A message waiting for its ack. It keeps its `clientMsgId` across resends. */
export interface OutboxItem {
  clientMsgId: string;
  to: string;
  kind: ClientMessageKind;
  body: MessageBody;
  inFlight: boolean;
  attempts: number;
  timer?: ReturnType<typeof setTimeout>;
  resolve(m: ClientMessage): void;
  reject(err: ImError): void;
}

/** What the outbox needs from the client. */
export interface OutboxDeps {
  /** Sends a `send` frame as a request; null when not connected. */
  request(frame: Record<string, unknown>): Promise<SendAckFrame> | null;
  connected(): boolean;
  /** Pings the socket: true when it answered in time. */
  probe(): Promise<boolean>;
  acked(item: OutboxItem, msg: Msg): ClientMessage;
  failed(item: OutboxItem, err: ImError): void;
}

/** Errors after which the same send is tried again; every other code is definitive. */
const RETRYABLE = new Set(['unavailable', 'rate_limited', 'internal']);
/** Marks the error used when the socket went away under a request. */
export const CONNECTION_LOST = 'connection lost';
const MAX_SERVER_RETRIES = 8;

/**
 * Outbox with resend: every send stays here until acked. Network loss never fails a
 * send; after a reconnect the same `clientMsgId` is sent again and the server dedupes.
 */
export class Outbox {
  private items = new Map<string, OutboxItem>();

  constructor(private readonly deps: OutboxDeps) {}

  get size(): number {
    return this.items.size;
  }

  has(clientMsgId: string): boolean {
    return this.items.has(clientMsgId);
  }

  add(item: Omit<OutboxItem, 'inFlight' | 'attempts' | 'resolve' | 'reject'>): Promise<ClientMessage> {
    return new Promise((resolve, reject) => {
      const full: OutboxItem = { ...item, inFlight: false, attempts: 0, resolve, reject };
      this.items.set(item.clientMsgId, full);
      if (this.deps.connected()) this.dispatch(full);
    });
  }

  /** Sends every waiting message, in the order they were queued (after a reconnect). */
  flush(): void {
    for (const item of this.items.values()) {
      if (item.inFlight) continue;
      if (item.timer !== undefined) clearTimeout(item.timer);
      item.timer = undefined;
      this.dispatch(item);
    }
  }

  /** Fails everything (the app closed the client for good). */
  failAll(err: ImError): void {
    const all = [...this.items.values()];
    this.items.clear();
    for (const item of all) {
      if (item.timer !== undefined) clearTimeout(item.timer);
      this.deps.failed(item, err);
      item.reject(err);
    }
  }

  private resendIfAlive(item: OutboxItem): void {
    void this.deps.probe().then((alive) => {
      if (!this.items.has(item.clientMsgId) || item.inFlight || item.timer !== undefined || !this.deps.connected()) return;
      if (alive) this.dispatch(item);
      else
        item.timer = setTimeout(() => {
          item.timer = undefined;
          this.resendIfAlive(item);
        }, 1_000);
    });
  }

  private dispatch(item: OutboxItem): void {
    const frame = {
      op: 'send',
      to: item.to,
      clientMsgId: item.clientMsgId,
      kind: item.kind,
      body: item.body,
    };
    const pending = this.deps.request(frame);
    if (!pending) return; // not connected: flushed on the next connect
    item.inFlight = true;
    pending.then(
      (ack) => {
        item.inFlight = false;
        if (!this.items.has(item.clientMsgId)) return;
        this.items.delete(item.clientMsgId);
        item.resolve(this.deps.acked(item, ack.msg));
      },
      (err: unknown) => {
        item.inFlight = false;
        if (!this.items.has(item.clientMsgId)) return;
        const e = err instanceof ImError ? err : new ImError('internal', String(err));
        const lost = e.code === 'unavailable' && e.message === CONNECTION_LOST;
        if (e.code === 'unavailable' && e.message === REQUEST_TIMED_OUT) {
          // No ack in time: never resend on a socket that may be dead. Probe it first; a dead one
          // is replaced and flush() resends after the reconnect.
          this.resendIfAlive(item);
          return;
        }
        if (!lost) item.attempts++;
        if (RETRYABLE.has(e.code) && (lost || item.attempts <= MAX_SERVER_RETRIES)) {
          if (lost) return; // resent by flush() after the reconnect
          const delay = e.retryAfterMs ?? Math.min(30_000, 500 * 2 ** item.attempts);
          item.timer = setTimeout(() => {
            item.timer = undefined;
            if (this.items.has(item.clientMsgId) && !item.inFlight && this.deps.connected()) this.dispatch(item);
          }, delay);
          return;
        }
        this.items.delete(item.clientMsgId);
        this.deps.failed(item, e);
        item.reject(e);
      },
    );
  }
}
