/** One authenticated WebSocket connection. */

import type { Socket } from 'node:net';
import type { User } from '@miniim/protocol';
import type WebSocket from 'ws';

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
    if (this.closed || this.ws.readyState !== 1) return;
    const sock = (this.ws as unknown as { _socket?: Socket })._socket;
    if (sock && !sock.writableCorked) {
      if (corked.length === 0) process.nextTick(uncorkAll);
      sock.cork();
      corked.push(sock);
    }
    this.ws.send(payload);
  }

  send(frame: object): void {
    this.sendRaw(JSON.stringify(frame));
  }
}
