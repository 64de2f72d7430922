/** One authenticated WebSocket connection. */

import type { User } from '@miniim/protocol';
import type WebSocket from 'ws';

export class Session {
  lastSeen = Date.now();
  /** Consecutive frames refused by the rate limiter (a flood closes the socket). */
  strikes = 0;
  readonly watching = new Set<string>();
  closed = false;

  constructor(
    readonly id: string,
    readonly user: User,
    readonly ws: WebSocket,
  ) {}

  get userId(): string {
    return this.user.id;
  }

  /** Sends an already-serialised frame if the socket is open. */
  sendRaw(payload: string): void {
    if (!this.closed && this.ws.readyState === 1) this.ws.send(payload);
  }

  send(frame: object): void {
    this.sendRaw(JSON.stringify(frame));
  }
}
