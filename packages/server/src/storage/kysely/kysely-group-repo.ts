/** Groups on a network database through Kysely (PostgreSQL and MySQL share it; dialect bits in SqlDialect). */
import { groupConvId } from '@miniim/protocol';
import { sql } from 'kysely';
import { rowToGroup, rowToMember } from '../rows.js';
import type { GroupMemberRow, GroupRepo, GroupRow } from '../storage.js';
import type { Db, SqlDialect } from './sql-dialect.js';

export class KyselyGroupRepo implements GroupRepo {
  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialect,
  ) {}

  async createGroup(g: GroupRow, members: readonly GroupMemberRow[]) {
    const conv = groupConvId(g.id);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('groups')
        .values({ id: g.id, name: g.name, avatar_url: g.avatarUrl, owner: g.owner, muted_all: g.mutedAll ? 1 : 0, created_at: g.createdAt })
        .execute();
      await trx.insertInto('conversations').values({ conv, kind: 'group', last_seq: 0, updated_at: g.createdAt }).execute();
      if (members.length > 0)
        await this.dialect.insertIgnore(
          trx,
          'conv_members',
          members.map((m) => memberRow(conv, 0, m)),
        );
    });
  }

  async getGroup(id: string) {
    const r = await this.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? rowToGroup(r) : undefined;
  }

  async updateGroup(id: string, patch: Partial<Pick<GroupRow, 'name' | 'avatarUrl' | 'owner' | 'mutedAll' | 'disbandedAt'>>) {
    const set: Record<string, unknown> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.avatarUrl !== undefined) set.avatar_url = patch.avatarUrl;
    if (patch.owner !== undefined) set.owner = patch.owner;
    if (patch.mutedAll !== undefined) set.muted_all = patch.mutedAll ? 1 : 0;
    if (patch.disbandedAt !== undefined) set.disbanded_at = patch.disbandedAt;
    if (Object.keys(set).length > 0) await this.db.updateTable('groups').set(set).where('id', '=', id).execute();
  }

  async listMembers(groupId: string) {
    const rows = await this.db
      .selectFrom('conv_members')
      .select(['user_id', 'role', 'joined_at', 'muted_until'])
      .where('conv', '=', groupConvId(groupId))
      .execute();
    return rows.map(rowToMember);
  }

  async addMembers(groupId: string, members: readonly GroupMemberRow[]) {
    if (members.length === 0) return;
    const conv = groupConvId(groupId);
    await this.db.transaction().execute(async (trx) => {
      const c = await trx.selectFrom('conversations').select('last_seq').where('conv', '=', conv).executeTakeFirst();
      const seq = Number(c?.last_seq ?? 0);
      await this.dialect.insertIgnore(
        trx,
        'conv_members',
        members.map((m) => memberRow(conv, seq, m)),
      );
    });
  }

  async removeMember(groupId: string, userId: string) {
    await this.db.deleteFrom('conv_members').where('conv', '=', groupConvId(groupId)).where('user_id', '=', userId).execute();
  }

  async updateMember(groupId: string, userId: string, patch: Partial<Pick<GroupMemberRow, 'role' | 'mutedUntil'>>) {
    const set: Record<string, unknown> = {};
    if (patch.role !== undefined) set.role = patch.role;
    if (patch.mutedUntil !== undefined) set.muted_until = patch.mutedUntil;
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('conv_members').set(set).where('conv', '=', groupConvId(groupId)).where('user_id', '=', userId).execute();
  }

  async readers(conv: string, seq: number, limit: number, cursor?: string) {
    const base = this.db.selectFrom('conv_members').where('conv', '=', conv).where('read_seq', '>=', seq);
    const [countRow, rows] = await Promise.all([
      base.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
      (cursor !== undefined ? base.where('user_id', '>', cursor) : base)
        .select('user_id')
        .orderBy('user_id')
        .limit(limit + 1)
        .execute(),
    ]);
    const ids = rows.map((r) => r.user_id);
    const more = ids.length > limit;
    if (more) ids.pop();
    const count = Number(countRow.n);
    return more ? { count, userIds: ids, nextCursor: ids[ids.length - 1]! } : { count, userIds: ids };
  }

  async hasMention(conv: string, userId: string, afterSeq: number) {
    const r = await this.db
      .selectFrom('messages')
      .select(sql<number>`1`.as('one'))
      .where('conv', '=', conv)
      .where('seq', '>', afterSeq)
      .where('kind', '=', 'text')
      .where('recalled_by', 'is', null)
      .where(this.dialect.mentions(userId))
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }
}

function memberRow(conv: string, readSeq: number, m: GroupMemberRow) {
  return { user_id: m.userId, conv, read_seq: readSeq, joined_at: m.joinedAt, role: m.role, muted_until: m.mutedUntil };
}
