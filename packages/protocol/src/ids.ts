/** Identifiers and conversation-id helpers (protocol-v1.md section 2). */

/** User ids and group ids match this pattern. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The author of server-side actions (content removal); no account may take this id. */
export const SYSTEM_USER_ID = 'system';

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** `d:<uidA>:<uidB>` with the two ids in byte order. */
export function directConvId(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

export function groupConvId(groupId: string): string {
  return `g:${groupId}`;
}

/**
 * The kind of an id that is already known to be well formed (stored, or checked by parseConvId):
 * a cheap test for hot paths that must not re-validate.
 */
export function convKindOf(conv: string): 'direct' | 'group' {
  return conv.startsWith('g:') ? 'group' : 'direct';
}

export type ParsedConv = { kind: 'direct'; a: string; b: string } | { kind: 'group'; groupId: string };

/** Parses a conversation id; returns null when it is not well formed. */
export function parseConvId(conv: unknown): ParsedConv | null {
  if (typeof conv !== 'string') return null;
  if (conv.startsWith('g:')) {
    const groupId = conv.slice(2);
    return isValidId(groupId) ? { kind: 'group', groupId } : null;
  }
  if (conv.startsWith('d:')) {
    const parts = conv.split(':');
    if (parts.length !== 3) return null;
    const [, a, b] = parts;
    if (!isValidId(a) || !isValidId(b) || !(a < b)) return null;
    return { kind: 'direct', a, b };
  }
  return null;
}

export type ParsedTarget = { kind: 'user'; userId: string } | { kind: 'group'; groupId: string };

/** Parses a `send.to` value: `u:<userId>` or `g:<groupId>`; null when malformed. */
export function parseTarget(to: unknown): ParsedTarget | null {
  if (typeof to !== 'string' || to.length < 3 || to[1] !== ':') return null;
  const id = to.slice(2);
  if (!isValidId(id)) return null;
  if (to[0] === 'u') return { kind: 'user', userId: id };
  if (to[0] === 'g') return { kind: 'group', groupId: id };
  return null;
}

/** The conversation a `send` lands in, seen from the sender. */
export function targetConv(target: ParsedTarget, from: string): string {
  return target.kind === 'user' ? directConvId(from, target.userId) : groupConvId(target.groupId);
}

/** For a direct conversation, the other member; null for groups or non-members. */
export function directPeer(conv: ParsedConv, me: string): string | null {
  if (conv.kind !== 'direct') return null;
  if (conv.a === me) return conv.b;
  if (conv.b === me) return conv.a;
  return null;
}
