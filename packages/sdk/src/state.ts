/**
 * Connection states of the client:
 * - `connecting`: the first attempt after `connect()`;
 * - `connected`: `hello` received, frames flow;
 * - `reconnecting`: the socket was lost; a new attempt is under way or scheduled (`retryInMs`);
 * - `offline`: the platform says the network is gone; attempts resume when it is back;
 * - `disconnected`: stopped — by `disconnect()`, or because the login ended (`sessionEnded`).
 */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** Why the client moved to a state. Connect-side and disconnect-side reasons are kept apart. */
export type ConnectReason = 'connect' | 'reconnect' | 'resume' | 'network_back' | 'token_refresh' | 'hello';
export type DisconnectReason =
  | 'closed_by_client'
  | 'transport_closed'
  | 'transport_error'
  | 'heartbeat_timeout'
  | 'connect_timeout'
  | 'unauthorized'
  | 'refresh_failed'
  | 'session_ended'
  | 'kicked'
  | 'background'
  | 'interrupted'
  | 'network_lost'
  | 'no_token'
  | 'server_restart'
  | 'server_busy';
export type StateReason = ConnectReason | DisconnectReason;

/** Payload of the `state` event. */
export interface StateChange {
  oldState: ConnectionState;
  newState: ConnectionState;
  reason: StateReason;
  /** WebSocket close code when the change came from a close. */
  closeCode?: number;
}

const allowed: Record<ConnectionState, ConnectionState[]> = {
  disconnected: ['connecting'],
  connecting: ['connected', 'reconnecting', 'offline', 'disconnected'],
  connected: ['reconnecting', 'offline', 'disconnected'],
  reconnecting: ['connected', 'offline', 'disconnected'],
  offline: ['connected', 'reconnecting', 'disconnected'],
};

/**
 * The one transition function: returns the change to emit, or null when the
 * move is a no-op. Throws on a transition the machine does not allow (a bug).
 */
export function transition(oldState: ConnectionState, newState: ConnectionState, reason: StateReason, closeCode?: number): StateChange | null {
  if (oldState === newState) return null;
  if (!allowed[oldState].includes(newState)) {
    throw new Error(`miniim: illegal state transition ${oldState} -> ${newState} (${reason})`);
  }
  const change: StateChange = { oldState, newState, reason };
  if (closeCode !== undefined) change.closeCode = closeCode;
  return change;
}
