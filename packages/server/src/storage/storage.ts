/**
 * Storage interface: narrow repositories the core depends on. One folder per
 * backend implements it (sqlite/; registry.ts picks one by DATABASE_URL). Every backend must
 * pass the contract suite in test/contract/.
 */
import type { MessageBody, MessageKind, Msg, User } from '@miniim/protocol';
import type { SchemaManager } from './schema.js';
import type { CreditStore, NotifyThrottle, TraceStore } from './wechat-stores.js';

export interface NewMessage {
  id: string;
  conv: string;
  /** Members to create the conversation with if it does not exist yet (direct chats). */
  members: readonly string[];
  from: string;
  kind: MessageKind;
  body: MessageBody;
  ts: number;
  clientMsgId?: string;
  /**
   * Blob keys of this server's media the message references (its url, a video's cover),
   * stored with it in the same transaction so a recall knows when a blob is no longer used.
   */
  mediaKeys?: readonly string[];
}

/** One result per appended message, in input order. */
export type AppendResult = { ok: true; msg: Msg; duplicate: boolean } | { ok: false; error: Error };

/** Timings of the commit path, in milliseconds (core/commit-stats.ts). */
export interface CommitObserver {
  write(ms: number): void;
  durable(ms: number): void;
  fsync(ms: number): void;
}

/** Hints from the group committer to `appendMessages`. */
export interface AppendOptions {
  /**
   * Messages arrive as a steady stream (the committer's commit delay is engaged): more follow at
   * once, so the commit's durability wait should not block the event loop that reads them.
   */
  stream?: boolean;
}

export interface MessageRepo {
  /**
   * Appends messages in one durable transaction (group commit). Seqs are
   * assigned per conversation, gap-free, in input order. A message whose
   * `(from, clientMsgId)` already exists is not stored again: its original comes
   * back with `duplicate: true`. Throws if the transaction fails (nothing stored).
   */
  appendMessages(items: readonly NewMessage[], opts?: AppendOptions): Promise<AppendResult[]>;
  /**
   * How many `appendMessages` calls may usefully be in flight at once (default 1:
   * the next batch collects while one commits). A backend whose commits are cheap and
   * whose durability waits coalesce (SQLite: fsync off the main thread) sets more.
   */
  readonly appendConcurrency?: number;
  /**
   * With a batch in flight, how many messages must wait before a second one starts
   * (default 1). Higher where a write made meanwhile gains nothing by going early
   * (SQLite: it needs the next fsync anyway) so that small batches merge instead.
   */
  readonly appendOverlapMin?: number;
  /**
   * Whether batches in flight at once should not share a conversation (default false).
   * Set where the order of two overlapping batches' seqs in a shared conversation is not
   * the order of the calls without waiting for the earlier one (PostgreSQL: one statement
   * takes the counters and commits): the group committer then puts a message whose
   * conversation is in a batch in flight into a later batch.
   */
  readonly appendDisjointConvs?: boolean;
  /**
   * Default commit delay of the group committer, in ms (absent or 0: off): with nothing in
   * flight and a steady stream of arrivals, a batch waits up to this long after its first
   * message for company, or until it holds `appendDelayUpTo` messages (only while fewer than
   * `appendDelayUpTo / 2` arrivals are predicted within the delay). Set where each commit
   * has a high fixed cost that more messages per commit spread (SQLite: one WAL fsync).
   */
  readonly appendDelayMs?: number;
  /** Batch size that ends a commit delay at once (default 8). */
  readonly appendDelayUpTo?: number;
  /** Arrivals the recent rate must predict within the delay for a batch to wait (default 2). */
  readonly appendDelaySiblings?: number;
  /** Reports the stages of each append (write, durable wait, fsync) to `o`; optional (metrics). */
  observeCommits?(o: CommitObserver): void;
  /** Ascending by seq. `before`/`after` exclusive; neither = the latest `limit`. */
  history(conv: string, range: { before?: number; after?: number; limit: number }): Promise<{ messages: Msg[]; hasMore: boolean }>;
  getMessage(conv: string, seq: number): Promise<Msg | undefined>;
  /** Replaces the body with {} and sets recalled; returns the updated message. */
  recall(conv: string, seq: number, by: string, ts: number): Promise<Msg | undefined>;
  /**
   * Drops the media references of one message (after its recall) and returns the keys no
   * other message references any more: their blobs may be deleted. Idempotent (a second
   * call returns []). Two releases of the last references of one key cannot both keep it.
   */
  releaseMedia(conv: string, seq: number): Promise<string[]>;
}

export interface ConversationRow {
  conv: string;
  kind: 'direct' | 'group';
  lastSeq: number;
  updatedAt: number;
}

export interface MembershipRow extends ConversationRow {
  readSeq: number;
}

export interface ConversationRepo {
  getConversation(conv: string): Promise<ConversationRow | undefined>;
  /** The user's conversations, newest activity first. Cursor is opaque. */
  listForUser(userId: string, limit: number, cursor?: string): Promise<{ rows: MembershipRow[]; nextCursor?: string }>;
  getMembership(conv: string, userId: string): Promise<MembershipRow | undefined>;
  /** Moves readSeq forward only (never back), capped at lastSeq; returns the new readSeq. */
  markRead(conv: string, userId: string, seq: number): Promise<number>;
  /** Messages after `readSeq` not sent by the user and not system messages. */
  countUnread(conv: string, userId: string, readSeq: number): Promise<number>;
  /**
   * For a page of the user's memberships: unread count, last message and mention flag of
   * each, in a fixed number of queries however long the page (a round trip is the cost on
   * a network database). Conversations with nothing unread have `unread: 0, mentioned: false`.
   */
  summarize(userId: string, rows: readonly MembershipRow[]): Promise<Map<string, ConversationSummary>>;
}

export interface ConversationSummary {
  unread: number;
  lastMessage?: Msg;
  /** An unread, unrecalled text mentions the user or everyone (groups only). */
  mentioned: boolean;
}

export interface StoredUser extends User {
  createdAt: number;
}

export interface UserRepo {
  getUser(id: string): Promise<StoredUser | undefined>;
  getUsers(ids: readonly string[]): Promise<Map<string, StoredUser>>;
  /** Creates the user, or updates the given profile fields if it exists. */
  upsertUser(id: string, profile: { nickname?: string; avatarUrl?: string }): Promise<StoredUser>;
  updateProfile(id: string, profile: { nickname?: string; avatarUrl?: string }): Promise<StoredUser | undefined>;
}

export interface SessionRow {
  id: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
}

export interface SessionWithUser {
  session: SessionRow;
  user?: StoredUser;
}

export interface SessionRepo {
  createSession(row: SessionRow): Promise<void>;
  getSession(id: string): Promise<SessionRow | undefined>;
  /**
   * The session and its user in one query (the token check of every WebSocket upgrade, which a
   * reconnect storm repeats for every client); `user` is undefined when the user no longer exists.
   */
  getSessionWithUser(id: string): Promise<SessionWithUser | undefined>;
  revokeSession(id: string, at: number): Promise<void>;
  /** Deletes sessions that expired, or were revoked, before `before`; returns how many. */
  pruneSessions(before: number): Promise<number>;
}

export interface Storage extends MessageRepo, ConversationRepo, UserRepo, SessionRepo {
  readonly kind: string;
  readonly groups: GroupRepo;
  readonly wechat: WechatRepo;
  readonly admin: AdminRepo;
  /** Cheap round-trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Migration state of a database-backed storage (absent for in-memory test doubles). */
  readonly schema?: SchemaManager;
}

export interface GroupRow {
  id: string;
  name: string;
  avatarUrl: string;
  owner: string;
  mutedAll: boolean;
  createdAt: number;
  disbandedAt?: number;
}

export interface GroupMemberRow {
  userId: string;
  role: 'owner' | 'admin' | 'member';
  joinedAt: number;
  mutedUntil: number;
}

/** Groups and their membership. A group's conversation is `g:<id>`; members are its conv_members. */
export interface GroupRepo {
  /** Creates the group, its conversation and its members in one transaction. */
  createGroup(group: GroupRow, members: readonly GroupMemberRow[]): Promise<void>;
  getGroup(id: string): Promise<GroupRow | undefined>;
  updateGroup(id: string, patch: Partial<Pick<GroupRow, 'name' | 'avatarUrl' | 'owner' | 'mutedAll' | 'disbandedAt'>>): Promise<void>;
  /** All members (the in-memory index is built from this). */
  listMembers(groupId: string): Promise<GroupMemberRow[]>;
  /** Adds members whose read mark starts at the conversation's current last seq. */
  addMembers(groupId: string, members: readonly GroupMemberRow[]): Promise<void>;
  removeMember(groupId: string, userId: string): Promise<void>;
  updateMember(groupId: string, userId: string, patch: Partial<Pick<GroupMemberRow, 'role' | 'mutedUntil'>>): Promise<void>;
  /** Members whose readSeq ≥ seq: count and one page ordered by user id. */
  readers(conv: string, seq: number, limit: number, cursor?: string): Promise<{ count: number; userIds: string[]; nextCursor?: string }>;
  /** Whether an unrecalled text after `afterSeq` mentions the user or everyone. */
  hasMention(conv: string, userId: string, afterSeq: number): Promise<boolean>;
}

/** A user's WeChat identity in one mini-program (appId). */
export interface WechatIdentityRow {
  userId: string;
  appId: string;
  openid: string;
  unionid?: string;
  /** session_key encrypted with encryptSecret (never the plain value). */
  sessionKeyEnc: string;
  updatedAt: number;
}

/** A phone number WeChat verified for a user (getPhoneNumber), as WeChat gave it. */
export interface UserPhoneRow {
  userId: string;
  /** With the country code for numbers outside mainland China, e.g. `13800138000` or `+12025550100`. */
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  /** The mini-program that verified it. */
  appId: string;
  verifiedAt: number;
}

/**
 * WeChat state: identities, verified phone numbers, subscribe-message credits
 * (consumed atomically), the notification throttle and media-check traces.
 */
export interface WechatRepo {
  /** Creates or replaces the identity of (appId, openid). */
  upsertIdentity(row: WechatIdentityRow): Promise<void>;
  /** The user's identity in `appId`, or the most recently used one when no appId is given. */
  getIdentity(userId: string, appId?: string): Promise<WechatIdentityRow | undefined>;
  /** Stores (replaces) the user's verified phone number. */
  setPhone(row: UserPhoneRow): Promise<void>;
  getPhone(userId: string): Promise<UserPhoneRow | undefined>;
  readonly credits: CreditStore;
  readonly throttle: NotifyThrottle;
  readonly traces: TraceStore;
}

/** One entry of the audit log: who did what to which target, when, from where. Never updated or deleted. */
export interface AuditRow {
  /** Time-ordered unique id. */
  id: string;
  at: number;
  /** `admin` (the admin token), `admin:<userId>` (an admin user), `moderation`… */
  actor: string;
  /** Dotted verb, e.g. `user.ban`, `message.remove`, `moderation.reject`. */
  action: string;
  /** What it acted on: a user id, a conv, `conv#seq`, a group id. */
  target?: string;
  /** The client address the request came from. */
  ip?: string;
  /** Small JSON object of parameters and outcome (never message text). */
  detail?: Record<string, unknown>;
}

/** Filters of `listAudit`; all optional, combined with AND. `since`/`until` are inclusive/exclusive epoch ms. */
export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  since?: number;
  until?: number;
}

/** A user barred from logging in (until the ban is lifted). */
export interface BanRow {
  userId: string;
  at: number;
  by: string;
  reason?: string;
}

/**
 * What the admin API and the audit log need beyond the chat repositories. Rare
 * operations: none of these is on the message path.
 */
export interface AdminRepo {
  /** Appends one audit entry (the log is append-only: there is no update or delete). */
  appendAudit(row: AuditRow): Promise<void>;
  /** Entries matching the filters, newest first (by `at`, then `id`); the cursor is opaque. */
  listAudit(q: AuditQuery, limit: number, cursor?: string): Promise<{ rows: AuditRow[]; nextCursor?: string }>;
  /** Bans the user (replacing an earlier ban's details). */
  setBan(row: BanRow): Promise<void>;
  /** Lifts the ban; false when there was none. */
  clearBan(userId: string): Promise<boolean>;
  getBan(userId: string): Promise<BanRow | undefined>;
  /** The user's stored login sessions, newest first. */
  listSessions(userId: string): Promise<SessionRow[]>;
  /** Revokes every session of the user not yet revoked; returns how many. */
  revokeUserSessions(userId: string, at: number): Promise<number>;
  /**
   * Users whose id is `q` or starts with it, whose nickname contains `q` (case as stored), or
   * who have a WeChat identity whose openid or unionid is `q`; at most `limit`, by id.
   */
  searchUsers(q: string, limit: number): Promise<StoredUser[]>;
  /** Every user, by id; the cursor is opaque (a notice to everyone pages through them). */
  listUsers(limit: number, cursor?: string): Promise<{ users: StoredUser[]; nextCursor?: string }>;
  getMessageById(id: string): Promise<Msg | undefined>;
  /** Messages the user sent, ordered by conversation then seq; the cursor is opaque. */
  messagesFrom(userId: string, limit: number, cursor?: string): Promise<{ messages: Msg[]; nextCursor?: string }>;
  /** Every WeChat identity of the user (one per mini-program). */
  identitiesOf(userId: string): Promise<WechatIdentityRow[]>;
  /** Groups (disbanded ones too) by id; the cursor is opaque. */
  listGroups(limit: number, cursor?: string): Promise<{ groups: GroupRow[]; nextCursor?: string }>;
  /**
   * Erases a user (data-subject request): every message they sent becomes a recall stub
   * (`recalled: {by, ts: at}`, body `{}`); their profile, sessions, WeChat identities, phone,
   * subscribe credits, notification throttle and media-check traces are deleted. The ban (if
   * any) and the audit log stay. Idempotent: a run cut short is finished by running it again.
   * Returns the messages it turned into stubs.
   */
  eraseUser(userId: string, by: string, at: number): Promise<{ recalled: Array<{ conv: string; seq: number }> }>;
}
