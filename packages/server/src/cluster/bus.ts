/**
 * The bus sits between the core and the gateways of every node. The core
 * publishes pre-serialised frames addressed by user id; each node's gateway
 * delivers them to its local sessions. Presence (who is online anywhere) is
 * also the bus's concern. local-bus.ts is the in-process implementation; a
 * Redis implementation serves several nodes.
 */

/** A frame for some users' sessions, serialised once. */
export interface Delivery {
  userIds: readonly string[];
  payload: string;
  /** A session that must not receive it (the sender's own, which got an ack). */
  exceptSessionId?: string;
}

export type DeliveryHandler = (d: Delivery) => void;
export type PresenceHandler = (userId: string, online: boolean) => void;

export interface Bus {
  readonly kind: string;
  /** Routes a frame to every session of the given users, on whichever node they are. */
  publish(d: Delivery): void;
  /** Registers this node's gateway as the receiver of deliveries. */
  onDelivery(handler: DeliveryHandler): void;
  /** Gateway reports a user's first session opened / last session closed on this node. */
  setLocalOnline(userId: string, online: boolean): void;
  /** Whether the users have at least one session on any node. */
  isOnline(userIds: readonly string[]): Promise<Map<string, boolean>>;
  /** Called when a user goes online or offline anywhere. */
  onPresence(handler: PresenceHandler): void;
  /** Readiness check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
