/** SQLite implementation of the group repository (shares the database of sqlite-storage.ts). */
import { groupConvId } from '@miniim/protocol';
import type Database from 'better-sqlite3';
import { type GroupRowDb, type MemberRowDb, rowToGroup, rowToMember } from '../rows.js';
import type { GroupMemberRow, GroupRepo, GroupRow } from '../storage.js';

const COLUMNS: Record<string, string> = {
  name: 'name',
  avatarUrl: 'avatar_url',
  owner: 'owner',
  mutedAll: 'muted_all',
  disbandedAt: 'disbanded_at',
  role: 'role',
  mutedUntil: 'muted_until',
};

function setClause(patch: Record<string, unknown>): { sql: string; values: unknown[] } {
  const keys = Object.keys(patch).filter((k) => patch[k] !== undefined && COLUMNS[k]);
  return {
    sql: keys.map((k) => `${COLUMNS[k]} = ?`).join(', '),
    values: keys.map((k) => (typeof patch[k] === 'boolean' ? (patch[k] ? 1 : 0) : patch[k])),
  };
}

export class SqliteGroupRepo implements GroupRepo {
  private readonly s;
  private readonly createTx;
  private readonly addTx;

  constructor(private readonly db: Database.Database) {
    const p = (q: string) => db.prepare(q);
    this.s = {
      insertGroup: p('INSERT INTO groups (id, name, avatar_url, owner, muted_all, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      insertConv: p("INSERT INTO conversations (conv, kind, last_seq, updated_at) VALUES (?, 'group', 0, ?)"),
      lastSeq: p('SELECT last_seq FROM conversations WHERE conv = ?').pluck(),
      insertMember: p(
        `INSERT INTO conv_members (user_id, conv, read_seq, joined_at, role, muted_until) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id, conv) DO NOTHING`,
      ),
      getGroup: p('SELECT * FROM groups WHERE id = ?'),
      members: p('SELECT user_id, role, joined_at, muted_until FROM conv_members WHERE conv = ?'),
      removeMember: p('DELETE FROM conv_members WHERE conv = ? AND user_id = ?'),
      readersCount: p('SELECT count(*) FROM conv_members WHERE conv = ? AND read_seq >= ?').pluck(),
      readersFirst: p('SELECT user_id FROM conv_members WHERE conv = ? AND read_seq >= ? ORDER BY user_id LIMIT ?').pluck(),
      readersNext: p('SELECT user_id FROM conv_members WHERE conv = ? AND read_seq >= ? AND user_id > ? ORDER BY user_id LIMIT ?').pluck(),
      mention: p(
        `SELECT 1 FROM messages WHERE conv = ? AND seq > ? AND kind = 'text' AND recalled_by IS NULL
           AND (json_extract(body, '$.mentionAll') = 1
                OR EXISTS (SELECT 1 FROM json_each(body, '$.mentions') WHERE value = ?)) LIMIT 1`,
      ).pluck(),
    };
    this.createTx = db.transaction((g: GroupRow, members: readonly GroupMemberRow[]) => {
      this.s.insertGroup.run(g.id, g.name, g.avatarUrl, g.owner, g.mutedAll ? 1 : 0, g.createdAt);
      this.s.insertConv.run(groupConvId(g.id), g.createdAt);
      for (const m of members) this.s.insertMember.run(m.userId, groupConvId(g.id), 0, m.joinedAt, m.role, m.mutedUntil);
    });
    this.addTx = db.transaction((groupId: string, members: readonly GroupMemberRow[]) => {
      const conv = groupConvId(groupId);
      const seq = (this.s.lastSeq.get(conv) as number | undefined) ?? 0;
      for (const m of members) this.s.insertMember.run(m.userId, conv, seq, m.joinedAt, m.role, m.mutedUntil);
    });
  }

  async createGroup(group: GroupRow, members: readonly GroupMemberRow[]) {
    this.createTx(group, members);
  }

  async getGroup(id: string): Promise<GroupRow | undefined> {
    const r = this.s.getGroup.get(id) as GroupRowDb | undefined;
    return r ? rowToGroup(r) : undefined;
  }

  async updateGroup(id: string, patch: Partial<GroupRow>) {
    const { sql, values } = setClause(patch);
    if (sql) this.db.prepare(`UPDATE groups SET ${sql} WHERE id = ?`).run(...values, id);
  }

  async listMembers(groupId: string): Promise<GroupMemberRow[]> {
    return (this.s.members.all(groupConvId(groupId)) as MemberRowDb[]).map(rowToMember);
  }

  async addMembers(groupId: string, members: readonly GroupMemberRow[]) {
    this.addTx(groupId, members);
  }

  async removeMember(groupId: string, userId: string) {
    this.s.removeMember.run(groupConvId(groupId), userId);
  }

  async updateMember(groupId: string, userId: string, patch: Partial<GroupMemberRow>) {
    const { sql, values } = setClause(patch);
    if (sql) this.db.prepare(`UPDATE conv_members SET ${sql} WHERE conv = ? AND user_id = ?`).run(...values, groupConvId(groupId), userId);
  }

  async readers(conv: string, seq: number, limit: number, cursor?: string) {
    const count = this.s.readersCount.get(conv, seq) as number;
    const ids = (cursor ? this.s.readersNext.all(conv, seq, cursor, limit + 1) : this.s.readersFirst.all(conv, seq, limit + 1)) as string[];
    const more = ids.length > limit;
    if (more) ids.pop();
    return more ? { count, userIds: ids, nextCursor: ids[ids.length - 1]! } : { count, userIds: ids };
  }

  async hasMention(conv: string, userId: string, afterSeq: number) {
    return this.s.mention.get(conv, afterSeq, userId) === 1;
  }
}
