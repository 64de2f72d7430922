/** The client abstraction a generator worker drives: one authenticated real-time connection. */

/** The `msg` object of the v1 protocol (fields the generator reads). */
export interface WireMsg {
  id: string;
  conv: string;
  seq: number;
  from: string;
  kind: string;
  body: { text?: string } & Record<string, unknown>;
  ts: number;
  clientMsgId?: string;
}

/** How a worker reaches the server under test. */
export interface ClientSpec {
  /** `v1`: plain WebSocket speaking v1 frames; `socketio`: socket.io-client events. */
  protocol: 'v1' | 'socketio';
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  baseUrl: string;
  /** The nodes of a cluster: each user connects to `baseUrls[nodeIndex(userId, n, placement)]` (HTTP calls go to `baseUrl`). */
  baseUrls?: string[];
  /** How users map to the nodes of `baseUrls` (default `split`). */
  placement?: NodePlacement;
  /** `dev`: token from `POST /api/auth/dev`; `userid`: the user id is the token. */
  auth: 'dev' | 'userid';
}

/**
 * How a cluster target's users map to its nodes. `split`: the sum of the id's character codes, so
 * the two ends of a direct pair (`da7`, `db7`) land on different nodes of two. `pair`: the number
 * the id ends with (the pair's index, `7` for both `da7` and `db7`), so both ends of a pair are on
 * one node and consecutive pairs alternate; ids without a number fall back to `split`.
 */
export type NodePlacement = 'split' | 'pair';

/**
 * The node a user connects to in a cluster of `nodes` (see NodePlacement); a group's numbered
 * members alternate under either placement.
 */
export function nodeIndex(userId: string, nodes: number, placement: NodePlacement = 'split'): number {
  if (placement === 'pair') {
    const n = /\d+$/.exec(userId);
    if (n) return Number(n[0]) % nodes;
  }
  let sum = 0;
  for (let i = 0; i < userId.length; i++) sum += userId.charCodeAt(i);
  return sum % nodes;
}

/** Callbacks a client reports to. */
export interface ClientEvents {
  onMsg(client: BenchClient, msg: WireMsg): void;
  onClose(client: BenchClient): void;
}

/** One connection of one user. */
export interface BenchClient {
  readonly userId: string;
  readonly open: boolean;
  /** Opens the socket and resolves on the `hello` frame. */
  connect(localAddress: string): Promise<void>;
  /** Sends a text message; resolves with the acked `msg`. */
  send(to: string, clientMsgId: string, text: string): Promise<WireMsg>;
  /** Fetches messages of `conv` after `after` (ascending). */
  history(conv: string, after: number, limit: number): Promise<{ messages: WireMsg[]; hasMore: boolean }>;
  /** Drops the connection abruptly (no close handshake). */
  drop(): void;
}

/** Error carried by an `error` frame or a failed ack. */
export class RemoteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
