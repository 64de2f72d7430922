/**
 * The bus sits between the core and the gateways of every node. The core
 * publishes pre-serialised frames addressed by user id; each node's gateway
 * delivers them to its local sessions. Presence (who is online anywhere) is
 * also the bus's concern. local-bus.ts is the in-process implementation; a
 * Redis implementation serves several nodes.
 */

import type { RevocationReason } from '../core/session-revocations.js';

/** A frame for some users' sessions, serialised once. */
export interface Delivery {
  userIds: readonly string[];
  payload: string;
  /** A session that must not receive it (the sender's own, which got an ack). */
  exceptSessionId?: string;
  /** When the message it carries was accepted (epoch ms): delivery latency is measured from it. */
  ts?: number;
  /**
   * Set by the bus on a delivery published by another node: it arrives apart from this node's
   * commits, so a socket waiting for an ack gets it with that ack (gateway/session.ts, push()).
   */
  remote?: true;
}

export type DeliveryHandler = (d: Delivery) => void;
export type PresenceHandler = (userId: string, online: boolean) => void;

/**
 * A cache invalidation or other state change that every other node must hear about
 * (the node that made the change has already applied it).
 */
export type BusEvent =
  | { type: 'group_changed'; groupId: string }
  /** A login session (or, without sessionId, every session of the user) ended: close its sockets (core/session-revocations.ts). */
  | { type: 'session_revoked'; userId: string; sessionId?: string; reason: RevocationReason }
  /** A user's sockets over the cluster-wide cap, found by the node where a newer one opened: close them with 4409. */
  | { type: 'sockets_replaced'; userId: string; sessionIds: string[] };
export type BusEventHandler = (e: BusEvent) => void;

/** One node's load as it last reported it (the admin API's `GET /api/admin/stats`). */
export interface NodeLoad {
  node: string;
  /** Open WebSockets on the node. */
  sockets: number;
  /** Distinct users with at least one socket on the node. */
  users: number;
  /** When the figures were read (epoch ms). */
  at: number;
}

/** Reads this node's current figures (the gateway's). */
export type LoadSource = () => { sockets: number; users: number };

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
  /** Tells the other nodes about a state change (not delivered back to this node). */
  broadcast(e: BusEvent): void;
  /** Registers a receiver of other nodes' events. */
  onEvent(handler: BusEventHandler): void;
  /**
   * Called after cross-node delivery was interrupted (Redis unreachable) and works again,
   * on every node: deliveries may have been missed meanwhile, so local clients must sync,
   * and caches kept in step by events must be dropped.
   */
  onRecovered(handler: () => void): void;
  /** Where this node's load figures come from; published with every heartbeat in a cluster. */
  setLoadSource(read: LoadSource): void;
  /** Every live node's last reported load (this node's read now), by node id. */
  nodeLoads(): Promise<NodeLoad[]>;
  /** Readiness check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
