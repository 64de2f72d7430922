/**
 * Login sessions ended before their expiry (refresh, logout, ban) — announced so that
 * every gateway closes the sockets opened with them at once. Transport-free: the
 * gateway of this node subscribes; the cluster bus carries the same event to the other
 * nodes' gateways (app.ts wires `onForward` to `bus.broadcast` and bus events to `receive`).
 */

/** Why a login session ended; `refresh` and `expired` keep the login (the client has or gets a new token). */
export type RevocationReason = 'refresh' | 'logout' | 'revoked' | 'banned';

/** One revoked login session, or with no `sessionId` every session of the user. */
export interface RevocationEvent {
  userId: string;
  sessionId?: string;
  reason: RevocationReason;
}

export type RevocationHandler = (e: RevocationEvent) => void;

export class SessionRevocations {
  private readonly local: RevocationHandler[] = [];
  private readonly forwarders: RevocationHandler[] = [];

  /** Registers a receiver on this node (the gateway). */
  on(handler: RevocationHandler): void {
    this.local.push(handler);
  }

  /** Registers a carrier to the other nodes (the cluster bus). */
  onForward(handler: RevocationHandler): void {
    this.forwarders.push(handler);
  }

  /** Announces a revocation that storage already recorded, here and on every other node. */
  emit(e: RevocationEvent): void {
    this.receive(e);
    for (const h of this.forwarders) h(e);
  }

  /** A revocation announced by another node: handled here only. */
  receive(e: RevocationEvent): void {
    for (const h of this.local) h(e);
  }
}
