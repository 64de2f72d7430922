import type { DisconnectReason } from './state.js';

/** Why a login ended (the only cases that may send a user back to a login screen). */
export type SessionEndReason = 'expired' | 'revoked' | 'banned' | 'replaced' | 'logout';

/** Payload of the `sessionEnded` event. */
export interface SessionEnded {
  reason: SessionEndReason;
  /** The WebSocket close code, when a close ended it. */
  closeCode?: number;
}

/** `kicked` reasons that end a login (protocol-v1, "Which closes end a login"). */
const ENDING_KICKS: Record<string, SessionEndReason> = {
  revoked: 'revoked',
  banned: 'banned',
  replaced: 'replaced',
  logout: 'logout',
};

/** What a close means for the login. */
export type CloseVerdict =
  /** The login is over: stop, keep nothing running, tell the app. */
  | { kind: 'end'; reason: SessionEndReason }
  /** The token was refused: refresh it, then reconnect (a refresh answered 401 ends the login). */
  | { kind: 'refresh'; reason: DisconnectReason }
  /** Anything else: reconnect with jittered backoff, keeping token and outbox. */
  | { kind: 'reconnect'; reason: DisconnectReason };

/** The session-ending reason of a `kicked` frame, or undefined when the kick does not end the login. */
export function kickEndsSession(reason: string): SessionEndReason | undefined {
  return Object.hasOwn(ENDING_KICKS, reason) ? ENDING_KICKS[reason] : undefined;
}

/**
 * Classifies a close exactly as protocol-v1 "Which closes end a login" says: only 4403, 4409
 * and a `kicked` with reason revoked/banned/replaced/logout end a login; 4401 asks for a
 * refresh; 1001/1012 (restart), 1006, 1013, 4408, 4429, a refused connection and every other
 * code mean reconnect.
 */
export function classifyClose(code: number, reason: string, kicked?: string): CloseVerdict {
  const ending = kicked === undefined ? undefined : kickEndsSession(kicked);
  if (ending) return { kind: 'end', reason: ending };
  if (code === 4401) return { kind: 'refresh', reason: 'unauthorized' };
  if (code === 4403) return { kind: 'end', reason: 'banned' };
  if (code === 4409) return { kind: 'end', reason: 'replaced' };
  if (code === 4408) return { kind: 'reconnect', reason: 'heartbeat_timeout' };
  if (code === 1001 || code === 1012) return { kind: 'reconnect', reason: 'server_restart' };
  if (code === 1013) return { kind: 'reconnect', reason: 'server_busy' };
  if (/interrupted/i.test(reason)) return { kind: 'reconnect', reason: 'interrupted' };
  return { kind: 'reconnect', reason: 'transport_closed' };
}
