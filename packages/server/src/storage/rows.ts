/**
 * The tables every driver stores (one `Database` type for Kysely on all three) and the
 * mapping from their rows to the interface's types, shared so the drivers cannot drift.
 */
import type { MessageKind, Msg } from '@miniim/protocol';
import type {
  AuditRow,
  BanRow,
  GroupMemberRow,
  GroupRow,
  MembershipRow,
  SessionRow,
  SessionWithUser,
  StoredUser,
  UserPhoneRow,
  WechatIdentityRow,
} from './storage.js';
import type { MediaTarget } from './wechat-stores.js';

export interface MessageRowDb {
  conv: string;
  seq: number;
  id: string;
  from_user: string;
  kind: string;
  body: string;
  ts: number;
  client_msg_id: string | null;
  recalled_by: string | null;
  recalled_at: number | null;
}

export interface UserRowDb {
  id: string;
  nickname: string;
  avatar_url: string;
  created_at: number;
  updated_at: number;
}

export interface SessionRowDb {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface ConversationRowDb {
  conv: string;
  kind: string;
  last_seq: number;
  updated_at: number;
}

export interface MemberRowDb {
  user_id: string;
  conv: string;
  read_seq: number;
  joined_at: number;
  role: string;
  muted_until: number;
}

export interface GroupRowDb {
  id: string;
  name: string;
  avatar_url: string;
  owner: string;
  /** 0/1 on SQLite and MySQL, boolean-as-int everywhere for one shape. */
  muted_all: number;
  created_at: number;
  disbanded_at: number | null;
}

export interface IdentityRowDb {
  app_id: string;
  openid: string;
  user_id: string;
  unionid: string | null;
  session_key_enc: string;
  updated_at: number;
}

export interface TraceRowDb {
  trace_id: string;
  conv: string;
  seq: number;
  msg_id: string | null;
  user_id: string;
  url: string;
  media_type: 'image' | 'audio' | null;
  openid: string | null;
  app_id: string | null;
  attempt: number;
  created_at: number;
}

export interface PhoneRowDb {
  user_id: string;
  phone_number: string;
  pure_phone_number: string;
  country_code: string;
  app_id: string;
  verified_at: number;
}

/** Kysely's view of the schema (same tables and columns on every driver). */
export interface Database {
  users: UserRowDb;
  sessions: SessionRowDb;
  conversations: ConversationRowDb;
  conv_members: MemberRowDb;
  messages: MessageRowDb;
  groups: GroupRowDb;
  wechat_identities: IdentityRowDb;
  subscribe_credits: { user_id: string; template_id: string; credits: number };
  notify_throttle: { user_id: string; conv: string; claimed_at: number };
  media_traces: TraceRowDb;
  user_phones: PhoneRowDb;
  audit_log: AuditRowDb;
  user_bans: BanRowDb;
  media_refs: MediaRefRowDb;
}

export interface AuditRowDb {
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  /** JSON text. */
  detail: string | null;
}

export interface BanRowDb {
  user_id: string;
  banned_at: number;
  banned_by: string;
  reason: string | null;
}

export function rowToAudit(r: AuditRowDb): AuditRow {
  const row: AuditRow = { id: r.id, at: Number(r.at), actor: r.actor, action: r.action };
  if (r.target !== null) row.target = r.target;
  if (r.ip !== null) row.ip = r.ip;
  if (r.detail !== null) row.detail = JSON.parse(r.detail);
  return row;
}

export function rowToBan(r: BanRowDb): BanRow {
  const row: BanRow = { userId: r.user_id, at: Number(r.banned_at), by: r.banned_by };
  if (r.reason !== null) row.reason = r.reason;
  return row;
}

/** One message's reference to one of this server's media blobs (see MessageRepo.releaseMedia). */
export interface MediaRefRowDb {
  conv: string;
  seq: number;
  media_key: string;
}

export function rowToMsg(r: MessageRowDb): Msg {
  const msg: Msg = {
    id: r.id,
    conv: r.conv,
    seq: Number(r.seq),
    from: r.from_user,
    kind: r.kind as MessageKind,
    body: r.recalled_by ? {} : JSON.parse(r.body),
    ts: Number(r.ts),
  };
  if (r.client_msg_id !== null) msg.clientMsgId = r.client_msg_id;
  if (r.recalled_by) msg.recalled = { by: r.recalled_by, ts: Number(r.recalled_at ?? 0) };
  return msg;
}

export function rowToUser(r: Pick<UserRowDb, 'id' | 'nickname' | 'avatar_url' | 'created_at'>): StoredUser {
  return { id: r.id, nickname: r.nickname, avatarUrl: r.avatar_url, createdAt: Number(r.created_at) };
}

export function rowToSession(r: SessionRowDb): SessionRow {
  const row: SessionRow = { id: r.id, userId: r.user_id, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at) };
  if (r.revoked_at !== null) row.revokedAt = Number(r.revoked_at);
  return row;
}

/** A session row LEFT JOINed with its user's columns (`uid` null when the user is gone). */
export interface SessionUserRowDb extends SessionRowDb {
  uid: string | null;
  nickname: string | null;
  avatar_url: string | null;
  user_created_at: number | null;
}

export function sessionWithUser(r: SessionUserRowDb): SessionWithUser {
  const session = rowToSession(r);
  if (r.uid === null) return { session };
  // Non-null together with uid (users' columns are NOT NULL).
  return { session, user: rowToUser({ id: r.uid, nickname: r.nickname!, avatar_url: r.avatar_url!, created_at: r.user_created_at! }) };
}

export function rowToMembership(r: ConversationRowDb & { read_seq: number }): MembershipRow {
  return {
    conv: r.conv,
    kind: r.kind as 'direct' | 'group',
    lastSeq: Number(r.last_seq),
    updatedAt: Number(r.updated_at),
    readSeq: Number(r.read_seq),
  };
}

export function rowToGroup(r: GroupRowDb): GroupRow {
  const g: GroupRow = {
    id: r.id,
    name: r.name,
    avatarUrl: r.avatar_url,
    owner: r.owner,
    mutedAll: Number(r.muted_all) === 1,
    createdAt: Number(r.created_at),
  };
  if (r.disbanded_at !== null) g.disbandedAt = Number(r.disbanded_at);
  return g;
}

export function rowToMember(r: Pick<MemberRowDb, 'user_id' | 'role' | 'joined_at' | 'muted_until'>): GroupMemberRow {
  return { userId: r.user_id, role: r.role as GroupMemberRow['role'], joinedAt: Number(r.joined_at), mutedUntil: Number(r.muted_until) };
}

export function rowToIdentity(r: IdentityRowDb): WechatIdentityRow {
  const row: WechatIdentityRow = {
    userId: r.user_id,
    appId: r.app_id,
    openid: r.openid,
    sessionKeyEnc: r.session_key_enc,
    updatedAt: Number(r.updated_at),
  };
  if (r.unionid !== null) row.unionid = r.unionid;
  return row;
}

export function rowToTrace(r: TraceRowDb): MediaTarget {
  const t: MediaTarget = { conv: r.conv, seq: Number(r.seq), userId: r.user_id, url: r.url };
  if (r.msg_id !== null) t.msgId = r.msg_id;
  if (r.media_type !== null) t.mediaType = r.media_type;
  if (r.openid !== null) t.openid = r.openid;
  if (r.app_id !== null) t.appId = r.app_id;
  if (Number(r.attempt) !== 1) t.attempt = Number(r.attempt);
  return t;
}

export function rowToPhone(r: PhoneRowDb): UserPhoneRow {
  return {
    userId: r.user_id,
    phoneNumber: r.phone_number,
    purePhoneNumber: r.pure_phone_number,
    countryCode: r.country_code,
    appId: r.app_id,
    verifiedAt: Number(r.verified_at),
  };
}

/** Media-check traces older than this are ignored and pruned (WeChat answers within minutes). */
export const TRACE_TTL_MS = 24 * 60 * 60 * 1000;

/** A page of memberships from `limit + 1` rows read in list order: the extra row only says there is more. */
export function membershipPage(raw: Array<ConversationRowDb & { read_seq: number }>, limit: number): { rows: MembershipRow[]; nextCursor?: string } {
  const more = raw.length > limit;
  const rows = raw.slice(0, limit).map(rowToMembership);
  const last = rows[rows.length - 1];
  return more && last ? { rows, nextCursor: encodeCursor(last.updatedAt, last.conv) } : { rows };
}

export function encodeCursor(updatedAt: number, conv: string): string {
  return Buffer.from(JSON.stringify([updatedAt, conv])).toString('base64url');
}

export function decodeCursor(cursor: string): [number, string] | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  return null;
}
