/**
 * The admin repository on every backend, through Kysely's query builder (SQLite included:
 * these are rare operations off the message path, so the per-query compile does not matter).
 * No statement here opens a transaction — on SQLite the connection is shared with the
 * synchronous hot paths — so multi-step writes (`eraseUser`) are idempotent instead.
 */
import { sql } from 'kysely';
import {
  type AuditRowDb,
  decodeCursor,
  encodeCursor,
  type MessageRowDb,
  rowToAudit,
  rowToBan,
  rowToGroup,
  rowToIdentity,
  rowToMsg,
  rowToSession,
  rowToUser,
} from '../rows.js';
import type { AdminRepo, AuditQuery, AuditRow, BanRow, StoredUser } from '../storage.js';
import type { Db, SqlDialect } from './sql-dialect.js';

/** How the driver replaces a ban row (PostgreSQL/MySQL: their upsert; SQLite: REPLACE INTO). */
export type BanUpsert = (db: Db, row: { user_id: string; banned_at: number; banned_by: string; reason: string | null }) => Promise<void>;

/** The upsert of a network database's dialect, as a `BanUpsert`. */
export function dialectBanUpsert(dialect: SqlDialect): BanUpsert {
  return (db, row) => dialect.upsert(db, 'user_bans', row, ['user_id'], ['banned_at', 'banned_by', 'reason']);
}

/** `%`, `_` and the escape character itself taken literally in a LIKE pattern (`ESCAPE '!'`: no backslash quoting differences). */
function likeLiteral(s: string): string {
  return s.replace(/[!%_]/g, '!$&');
}

function opaque(v: string): string {
  return Buffer.from(v, 'utf8').toString('base64url');
}

function unopaque(cursor: string | undefined): string | undefined {
  return cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
}

/**
 * A page from `limit + 1` rows read in list order (the extra row only says there is more),
 * under `key`, with the cursor naming the last item kept.
 */
function pageOf<K extends string, R, T>(key: K, raw: readonly R[], limit: number, map: (r: R) => T, cursor: (last: T) => string) {
  const items = raw.slice(0, limit).map(map);
  const last = items[items.length - 1];
  const page = { [key]: items } as { [P in K]: T[] } & { nextCursor?: string };
  if (raw.length > limit && last) page.nextCursor = cursor(last);
  return page;
}

/** Rows erased with a user (the `users` row last, so a rerun still finds what is left). */
const USER_TABLES = ['wechat_identities', 'user_phones', 'subscribe_credits', 'notify_throttle', 'media_traces', 'sessions'] as const;

export class KyselyAdminRepo implements AdminRepo {
  constructor(
    private readonly db: Db,
    private readonly upsertBan: BanUpsert,
  ) {}

  async appendAudit(row: AuditRow) {
    await this.db
      .insertInto('audit_log')
      .values({
        id: row.id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        target: row.target ?? null,
        ip: row.ip ?? null,
        detail: row.detail === undefined ? null : JSON.stringify(row.detail),
      })
      .execute();
  }

  async listAudit(q: AuditQuery, limit: number, cursor?: string) {
    let s = this.db.selectFrom('audit_log').selectAll();
    if (q.actor !== undefined) s = s.where('actor', '=', q.actor);
    if (q.action !== undefined) s = s.where('action', '=', q.action);
    if (q.target !== undefined) s = s.where('target', '=', q.target);
    if (q.since !== undefined) s = s.where('at', '>=', q.since);
    if (q.until !== undefined) s = s.where('at', '<', q.until);
    const after = cursor ? decodeCursor(cursor) : null;
    if (after) s = s.where((eb) => eb.or([eb('at', '<', after[0]), eb.and([eb('at', '=', after[0]), eb('id', '<', after[1])])]));
    const raw: AuditRowDb[] = await s
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return pageOf('rows', raw, limit, rowToAudit, (last) => encodeCursor(last.at, last.id));
  }

  async setBan(row: BanRow) {
    await this.upsertBan(this.db, { user_id: row.userId, banned_at: row.at, banned_by: row.by, reason: row.reason ?? null });
  }

  async clearBan(userId: string) {
    const r = await this.db.deleteFrom('user_bans').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async getBan(userId: string) {
    const r = await this.db.selectFrom('user_bans').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return r ? rowToBan(r) : undefined;
  }

  async listSessions(userId: string) {
    const rows = await this.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(rowToSession);
  }

  async revokeUserSessions(userId: string, at: number) {
    const r = await this.db.updateTable('sessions').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async searchUsers(q: string, limit: number) {
    const cols = ['id', 'nickname', 'avatar_url', 'created_at'] as const;
    const like = likeLiteral(q);
    const [byProfile, byIdentity] = await Promise.all([
      this.db
        .selectFrom('users')
        .select(cols)
        .where((eb) => eb.or([eb('id', '=', q), sql<boolean>`id LIKE ${`${like}%`} ESCAPE '!'`, sql<boolean>`nickname LIKE ${`%${like}%`} ESCAPE '!'`]))
        .orderBy('id')
        .limit(limit)
        .execute(),
      this.db
        .selectFrom('users')
        .select(cols)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('wechat_identities')
            .select('user_id')
            .where((w) => w.or([w('openid', '=', q), w('unionid', '=', q)])),
        )
        .orderBy('id')
        .limit(limit)
        .execute(),
    ]);
    const out = new Map<string, StoredUser>();
    for (const r of [...byIdentity, ...byProfile]) out.set(r.id, rowToUser(r));
    return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, limit);
  }

  async listUsers(limit: number, cursor?: string) {
    const after = unopaque(cursor);
    let s = this.db.selectFrom('users').select(['id', 'nickname', 'avatar_url', 'created_at']);
    if (after !== undefined) s = s.where('id', '>', after);
    const raw = await s
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    return pageOf('users', raw, limit, rowToUser, (last) => opaque(last.id));
  }

  async getMessageById(id: string) {
    const r = await this.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? rowToMsg(r) : undefined;
  }

  async messagesFrom(userId: string, limit: number, cursor?: string) {
    const after = cursor ? decodeCursor(cursor) : null;
    let s = this.db.selectFrom('messages').selectAll().where('from_user', '=', userId);
    if (after) s = s.where((eb) => eb.or([eb('conv', '>', after[1]), eb.and([eb('conv', '=', after[1]), eb('seq', '>', after[0])])]));
    const raw: MessageRowDb[] = await s
      .orderBy('conv')
      .orderBy('seq')
      .limit(limit + 1)
      .execute();
    return pageOf('messages', raw, limit, rowToMsg, (last) => encodeCursor(last.seq, last.conv));
  }

  async identitiesOf(userId: string) {
    const rows = await this.db.selectFrom('wechat_identities').selectAll().where('user_id', '=', userId).orderBy('app_id').execute();
    return rows.map(rowToIdentity);
  }

  async listGroups(limit: number, cursor?: string) {
    const after = unopaque(cursor);
    let s = this.db.selectFrom('groups').selectAll();
    if (after !== undefined) s = s.where('id', '>', after);
    const raw = await s
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    return pageOf('groups', raw, limit, rowToGroup, (last) => opaque(last.id));
  }

  async eraseUser(userId: string, by: string, at: number) {
    const live = await this.db
      .selectFrom('messages')
      .select(['conv', 'seq'])
      .where('from_user', '=', userId)
      .where('kind', '<>', 'system')
      .where('recalled_by', 'is', null)
      .orderBy('conv')
      .orderBy('seq')
      .execute();
    // Group events written in the user's name (`group_created`…) are the group's record, not the user's text: kept.
    const mine = () => this.db.updateTable('messages').where('from_user', '=', userId).where('kind', '<>', 'system');
    await mine().set({ body: '{}', recalled_by: by, recalled_at: at }).where('recalled_by', 'is', null).execute();
    // Messages the user recalled earlier already have an empty body; make sure of it.
    await mine().set({ body: '{}' }).where('body', '<>', '{}').execute();
    for (const table of USER_TABLES) await this.db.deleteFrom(table).where('user_id', '=', userId).execute();
    await this.db.deleteFrom('users').where('id', '=', userId).execute();
    return { recalled: live.map((r) => ({ conv: r.conv, seq: Number(r.seq) })) };
  }
}
