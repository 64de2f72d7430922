/**
 * The part of a network-database backend the dialects agree on, through Kysely's query
 * builder (PostgreSQL and MySQL/MariaDB extend it with their own append path and the
 * statements in SqlDialect). Reads are batch-shaped: a page of conversations is
 * summarised in three queries run side by side, not three per row.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import {
  type Database,
  decodeCursor,
  type MessageRowDb,
  membershipPage,
  rowToMembership,
  rowToMsg,
  rowToSession,
  rowToUser,
  sessionWithUser,
} from '../rows.js';
import type {
  AppendResult,
  ConversationRow,
  ConversationSummary,
  MembershipRow,
  NewMessage,
  SessionRow,
  SessionWithUser,
  Storage,
  StoredUser,
} from '../storage.js';
import { dialectBanUpsert, KyselyAdminRepo } from './kysely-admin-repo.js';
import { KyselyGroupRepo } from './kysely-group-repo.js';
import { KyselyWechatRepo } from './kysely-wechat-repo.js';
import type { Db, SqlDialect } from './sql-dialect.js';

type Eb = ExpressionBuilder<Database, 'messages'>;

export abstract class KyselyStorage implements Storage {
  abstract readonly kind: string;
  abstract readonly appendConcurrency: number;
  readonly groups: KyselyGroupRepo;
  readonly wechat: KyselyWechatRepo;
  readonly admin: KyselyAdminRepo;

  constructor(
    protected readonly db: Db,
    protected readonly dialect: SqlDialect,
  ) {
    this.groups = new KyselyGroupRepo(db, dialect);
    this.wechat = new KyselyWechatRepo(db, dialect);
    this.admin = new KyselyAdminRepo(db, dialectBanUpsert(dialect));
  }

  abstract appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]>;

  async history(conv: string, range: { before?: number; after?: number; limit: number }) {
    let q = this.db.selectFrom('messages').selectAll().where('conv', '=', conv);
    if (range.after !== undefined) {
      const rows = await q
        .where('seq', '>', range.after)
        .orderBy('seq', 'asc')
        .limit(range.limit + 1)
        .execute();
      const hasMore = rows.length > range.limit;
      if (hasMore) rows.pop();
      return { messages: rows.map(rowToMsg), hasMore };
    }
    if (range.before !== undefined) q = q.where('seq', '<', range.before);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(range.limit + 1)
      .execute();
    const hasMore = rows.length > range.limit;
    if (hasMore) rows.pop();
    rows.reverse();
    return { messages: rows.map(rowToMsg), hasMore };
  }

  async getMessage(conv: string, seq: number) {
    const r = await this.db.selectFrom('messages').selectAll().where('conv', '=', conv).where('seq', '=', seq).executeTakeFirst();
    return r ? rowToMsg(r) : undefined;
  }

  async recall(conv: string, seq: number, by: string, ts: number) {
    await this.db.updateTable('messages').set({ body: '{}', recalled_by: by, recalled_at: ts }).where('conv', '=', conv).where('seq', '=', seq).execute();
    return this.getMessage(conv, seq);
  }

  async releaseMedia(conv: string, seq: number): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      const own = await tx.selectFrom('media_refs').select('media_key').where('conv', '=', conv).where('seq', '=', seq).execute();
      if (own.length === 0) return [];
      const keys = own.map((r) => r.media_key);
      // Every reference of these keys locked (in one order): a concurrent release of another message
      // with the same key waits, then sees this one gone, so the last one out deletes the blob.
      const all = await tx
        .selectFrom('media_refs')
        .selectAll()
        .where('media_key', 'in', keys)
        .orderBy('media_key')
        .orderBy('conv')
        .orderBy('seq')
        .forUpdate()
        .execute();
      await tx.deleteFrom('media_refs').where('conv', '=', conv).where('seq', '=', seq).execute();
      const used = new Set(all.filter((r) => r.conv !== conv || Number(r.seq) !== seq).map((r) => r.media_key));
      return keys.filter((k) => !used.has(k));
    });
  }

  async getConversation(conv: string): Promise<ConversationRow | undefined> {
    const r = await this.db.selectFrom('conversations').selectAll().where('conv', '=', conv).executeTakeFirst();
    return r ? { conv: r.conv, kind: r.kind as 'direct' | 'group', lastSeq: Number(r.last_seq), updatedAt: Number(r.updated_at) } : undefined;
  }

  private memberships() {
    return this.db
      .selectFrom('conv_members as m')
      .innerJoin('conversations as c', 'c.conv', 'm.conv')
      .select(['c.conv', 'c.kind', 'c.last_seq', 'c.updated_at', 'm.read_seq']);
  }

  async listForUser(userId: string, limit: number, cursor?: string) {
    const after = cursor ? decodeCursor(cursor) : null;
    let q = this.memberships().where('m.user_id', '=', userId);
    if (after) {
      q = q.where((eb) => eb.or([eb('c.updated_at', '<', after[0]), eb.and([eb('c.updated_at', '=', after[0]), eb('c.conv', '<', after[1])])]));
    }
    const raw = await q
      .orderBy('c.updated_at', 'desc')
      .orderBy('c.conv', 'desc')
      .limit(limit + 1)
      .execute();
    return membershipPage(raw, limit);
  }

  async getMembership(conv: string, userId: string) {
    const r = await this.memberships().where('m.conv', '=', conv).where('m.user_id', '=', userId).executeTakeFirst();
    return r ? rowToMembership(r) : undefined;
  }

  async markRead(conv: string, userId: string, seq: number) {
    const last = this.db.selectFrom('conversations').select('last_seq').where('conv', '=', conv);
    await this.db
      .updateTable('conv_members')
      .set({ read_seq: sql<number>`least(greatest(read_seq, ${seq}), (${last}))` })
      .where('conv', '=', conv)
      .where('user_id', '=', userId)
      .execute();
    const r = await this.db.selectFrom('conv_members').select('read_seq').where('conv', '=', conv).where('user_id', '=', userId).executeTakeFirst();
    return Number(r?.read_seq ?? 0);
  }

  async countUnread(conv: string, userId: string, readSeq: number) {
    const r = await this.db
      .selectFrom('messages')
      .select(sql<number>`count(*)`.as('n'))
      .where('conv', '=', conv)
      .where('seq', '>', readSeq)
      .where('from_user', '<>', userId)
      .where('kind', '<>', 'system')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async summarize(userId: string, rows: readonly MembershipRow[]) {
    const after = (eb: Eb, list: readonly MembershipRow[]): Expression<SqlBool> =>
      eb.or(list.map((r) => eb.and([eb('conv', '=', r.conv), eb('seq', '>', r.readSeq)])));
    const withLast = rows.filter((r) => r.lastSeq > 0);
    const unreadRows = rows.filter((r) => r.lastSeq > r.readSeq);
    const groupRows = unreadRows.filter((r) => r.kind === 'group');
    const [lasts, counts, mentioned] = await Promise.all([
      withLast.length === 0
        ? ([] as MessageRowDb[])
        : this.db
            .selectFrom('messages')
            .selectAll()
            .where((eb) => eb.or(withLast.map((r) => eb.and([eb('conv', '=', r.conv), eb('seq', '=', r.lastSeq)]))))
            .execute(),
      unreadRows.length === 0
        ? []
        : this.db
            .selectFrom('messages')
            .select(['conv', sql<number>`count(*)`.as('n')])
            .where((eb) => after(eb, unreadRows))
            .where('from_user', '<>', userId)
            .where('kind', '<>', 'system')
            .groupBy('conv')
            .execute(),
      groupRows.length === 0
        ? []
        : this.db
            .selectFrom('messages')
            .select('conv')
            .distinct()
            .where((eb) => after(eb, groupRows))
            .where('kind', '=', 'text')
            .where('recalled_by', 'is', null)
            .where(this.dialect.mentions(userId))
            .execute(),
    ]);
    const lastBy = new Map(lasts.map((r) => [r.conv, r]));
    const countBy = new Map(counts.map((r) => [r.conv, Number(r.n)]));
    const mentionedIn = new Set(mentioned.map((r) => r.conv));
    const out = new Map<string, ConversationSummary>();
    for (const r of rows) {
      const unread = countBy.get(r.conv) ?? 0;
      const last = lastBy.get(r.conv);
      const s: ConversationSummary = { unread, mentioned: unread > 0 && mentionedIn.has(r.conv) };
      if (last) s.lastMessage = rowToMsg(last);
      out.set(r.conv, s);
    }
    return out;
  }

  async getUser(id: string) {
    const r = await this.db.selectFrom('users').select(['id', 'nickname', 'avatar_url', 'created_at']).where('id', '=', id).executeTakeFirst();
    return r ? rowToUser(r) : undefined;
  }

  async getUsers(ids: readonly string[]) {
    const out = new Map<string, StoredUser>();
    const unique = [...new Set(ids)];
    if (unique.length === 0) return out;
    const rows = await this.db.selectFrom('users').select(['id', 'nickname', 'avatar_url', 'created_at']).where('id', 'in', unique).execute();
    for (const r of rows) out.set(r.id, rowToUser(r));
    return out;
  }

  async upsertUser(id: string, profile: { nickname?: string; avatarUrl?: string }) {
    const now = Date.now();
    await this.dialect.insertIgnore(this.db, 'users', [
      { id, nickname: profile.nickname ?? id, avatar_url: profile.avatarUrl ?? '', created_at: now, updated_at: now },
    ]);
    return (await this.updateProfile(id, profile, now))!;
  }

  async updateProfile(id: string, profile: { nickname?: string; avatarUrl?: string }, now = Date.now()) {
    const set: { nickname?: string; avatar_url?: string; updated_at: number } = { updated_at: now };
    if (profile.nickname !== undefined) set.nickname = profile.nickname;
    if (profile.avatarUrl !== undefined) set.avatar_url = profile.avatarUrl;
    await this.db.updateTable('users').set(set).where('id', '=', id).execute();
    return this.getUser(id);
  }

  async createSession(row: SessionRow) {
    await this.db
      .insertInto('sessions')
      .values({ id: row.id, user_id: row.userId, created_at: row.createdAt, expires_at: row.expiresAt, revoked_at: null })
      .execute();
  }

  async getSession(id: string) {
    const r = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? rowToSession(r) : undefined;
  }

  /**
   * Session lookups of one event-loop turn share one query (`WHERE s.id IN (…)`): every WebSocket
   * upgrade makes one, and a rolling restart moves thousands of clients to a node within a second,
   * whose lookups otherwise queue for the pool one round trip each.
   */
  getSessionWithUser(id: string): Promise<SessionWithUser | undefined> {
    return new Promise((resolve, reject) => {
      const first = this.sessionLookups.size === 0;
      const waiting = this.sessionLookups.get(id);
      if (waiting) waiting.push({ resolve, reject });
      else this.sessionLookups.set(id, [{ resolve, reject }]);
      if (first) setImmediate(() => void this.lookUpSessions());
    });
  }

  private sessionLookups = new Map<string, Array<{ resolve(v: SessionWithUser | undefined): void; reject(e: unknown): void }>>();

  private async lookUpSessions(): Promise<void> {
    const batch = this.sessionLookups;
    this.sessionLookups = new Map();
    try {
      const rows = await this.db
        .selectFrom('sessions as s')
        .leftJoin('users as u', 'u.id', 's.user_id')
        .select([
          's.id',
          's.user_id',
          's.created_at',
          's.expires_at',
          's.revoked_at',
          'u.id as uid',
          'u.nickname',
          'u.avatar_url',
          'u.created_at as user_created_at',
        ])
        .where('s.id', 'in', [...batch.keys()])
        .execute();
      const found = new Map(rows.map((r) => [r.id, sessionWithUser(r)]));
      for (const [id, waiters] of batch) for (const w of waiters) w.resolve(found.get(id));
    } catch (e) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
    }
  }

  async revokeSession(id: string, at: number) {
    await this.db.updateTable('sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  async pruneSessions(before: number) {
    const r = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async ping() {
    await sql`select 1`.execute(this.db);
  }

  private closing: Promise<void> | undefined;

  /** Ends the pool (idempotent). */
  close() {
    this.closing ??= this.db.destroy();
    return this.closing;
  }
}
