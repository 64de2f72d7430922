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
  /** The nodes of a cluster: each user connects to `baseUrls[nodeIndex(userId, n)]` (HTTP calls go to `baseUrl`). */
  baseUrls?: string[];
  /** `dev`: token from `POST /api/auth/dev`; `userid`: the user id is the token. */
  auth: 'dev' | 'userid';
}

/**
 * The node a user connects to in a cluster: the sum of its id's character codes modulo the node
 * count, so the two ends of a direct pair (`da7`, `db7`) land on different nodes of two, and a
 * group's numbered members alternate.
 */
export function nodeIndex(userId: string, nodes: number): number {
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
