/** Connection states of the client. */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/** Why the client moved to a state. Connect-side and disconnect-side reasons are kept apart. */
export type ConnectReason = 'connect' | 'reconnect' | 'resume' | 'token_refresh' | 'hello';
export type DisconnectReason =
  | 'closed_by_client'
  | 'transport_closed'
  | 'transport_error'
  | 'heartbeat_timeout'
  | 'connect_timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'replaced'
  | 'kicked'
  | 'background'
  | 'interrupted'
  | 'no_token'
  | 'server_going_away';
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
  connecting: ['connected', 'reconnecting', 'disconnected'],
  connected: ['reconnecting', 'disconnected'],
  reconnecting: ['connected', 'disconnected', 'reconnecting'],
};

/**
 * The one transition function: returns the change to emit, or null when the
 * move is a no-op. Throws on a transition the machine does not allow (a bug).
 */
export function transition(oldState: ConnectionState, newState: ConnectionState, reason: StateReason, closeCode?: number): StateChange | null {
  if (oldState === newState && newState !== 'reconnecting') return null;
  if (oldState === newState) return null;
  if (!allowed[oldState].includes(newState)) {
    throw new Error(`miniim: illegal state transition ${oldState} -> ${newState} (${reason})`);
  }
  const change: StateChange = { oldState, newState, reason };
  if (closeCode !== undefined) change.closeCode = closeCode;
  return change;
}
