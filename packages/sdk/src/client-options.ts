/** Options and events of an `ImClient`. */
import type { ImError, User } from '@miniim/protocol';
import type { AuthRefreshed, AuthToken, GetToken } from './auth/token-keeper.js';
import type { BackoffOptions } from './backoff.js';
import type { SessionEnded } from './close-policy.js';
import type { HttpAdapter } from './http.js';
import type { HeartbeatOptions } from './liveness.js';
import type { PersistenceAdapter } from './persistence.js';
import type { StateChange } from './state.js';
import type { ClientMessage, Conversation } from './store.js';
import type { Transport } from './transport/transport.js';

/** Options of an `ImClient`. Platform entry points fill `transport` and `http`. */
export interface ClientOptions {
  /** HTTP base of the server, e.g. `https://im.example.com`. */
  baseUrl: string;
  /** WebSocket endpoint; default: `baseUrl` with ws(s) scheme + `/ws`. */
  wsUrl?: string;
  transport: Transport;
  http: HttpAdapter;
  /**
   * The login's token (from `POST /api/auth/*`). The SDK refreshes it itself (`POST /api/auth/refresh`)
   * on 401 / 4401 and ahead of `expiresAt`, and emits `auth` with every new token to persist.
   */
  auth?: AuthToken;
  /** Instead of `auth`: the app supplies (and refreshes) tokens itself. */
  getToken?: GetToken;
  /** Refresh this long before `expiresAt` (default: a tenth of the remaining lifetime, at most 5 min). */
  refreshAheadMs?: number;
  /** The logged-in user id when known before `hello` (enables local echo of early sends). */
  userId?: string;
  persistence?: PersistenceAdapter;
  backoff?: BackoffOptions;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** How long a send waits for its ack; then the socket is probed and, if alive, the send goes again (same clientMsgId). */
  sendTimeoutMs?: number;
  /** Liveness: ping when idle for `intervalMs` (default 5 s); a frame unanswered for `timeoutMs` (default 3 s) is probed. */
  heartbeat?: HeartbeatOptions;
  /** Keep reconnecting while the app is in the background (default true; the mini-program entry sets false). */
  reconnectInBackground?: boolean;
  /**
   * Platform hooks (set by the web and wx entries): subscribes the client to network and
   * foreground changes and returns the unsubscribe function that `dispose()` calls.
   */
  environment?: (client: EnvironmentTarget) => () => void;
}

/** What a platform's network / foreground hooks drive. */
export interface EnvironmentTarget {
  networkChanged(online: boolean): void;
  setForeground(front: boolean): void;
}

/** Events of an `ImClient`. */
export interface ClientEvents {
  state: StateChange;
  /** A message was added or changed (incoming, own echo, ack, failure, recall). */
  message: ClientMessage;
  read: { conv: string; user: string; seq: number };
  recalled: { conv: string; seq: number; by: string };
  typing: { conv: string; user: string };
  presence: { user: string; online: boolean };
  /** The conversation list or one of its entries changed. */
  conversations: Conversation[];
  /** Connected and caught up with the server after a (re)connect. */
  synced: { user: User };
  /**
   * The login is over (token expired and its refresh refused, revoked, banned, replaced, logged out
   * elsewhere): show the login screen (or log in again silently). Never sent for restarts or
   * network trouble. The client is `disconnected`; queued sends stay until `setAuth()` or `close()`.
   */
  sessionEnded: SessionEnded;
  /** A refreshed token (the previous one is revoked): persist it in place of the old one. */
  auth: AuthRefreshed;
  /** The server said why it closes the socket. Informational: only `sessionEnded` ends a login. */
  kicked: { reason: string };
  /** A background operation (sync) failed; the SDK carries on. */
  error: ImError;
}

/** Options of a typed send. */
export interface SendOptions {
  /** Reuse a clientMsgId (retrying a failed message). */
  clientMsgId?: string;
}
