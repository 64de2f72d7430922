/**
 * Groups: creation, roles, membership, moderation and read-by queries. Every
 * change is stored, then applied to the in-memory index (GroupDirectory), then
 * announced with a `system` message.
 */
import { randomBytes } from 'node:crypto';
import { type Group, type GroupMember, groupConvId, ImError } from '@miniim/protocol';
import type { GroupMemberRow, GroupRow, Storage } from '../storage/storage.js';
import { type GroupDirectory, type GroupState, groupView, memberIds, requireAlive } from './group-directory.js';
import type { MessageService } from './message-service.js';

export interface GroupPatch {
  name?: string;
  avatarUrl?: string;
  muted?: boolean;
}

const ROLE_ORDER = { owner: 0, admin: 1, member: 2 } as const;

/**
 * The methods that change a group take the `actor` whose role is checked and, last, `by`:
 * who the group's system notice names (default the actor; the admin API acts with the
 * owner's rights and names `system`).
 */
export class GroupService {
  constructor(
    private readonly directory: GroupDirectory,
    private readonly storage: Storage,
    private readonly messages: MessageService,
    private readonly maxSize: number,
    /** Content-safety check of a group name; throws content_rejected / unavailable. */
    private readonly checkName?: (name: string, userId: string) => Promise<void>,
    /** The avatar URL to store (the media feature signs its own links so they do not expire). */
    private readonly avatarLink: (url: string) => string = (url) => url,
  ) {}

  // ---- operations ----

  private async requireUsers(ids: readonly string[]): Promise<void> {
    const found = await this.storage.getUsers(ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) throw new ImError('not_found', `unknown users: ${missing.slice(0, 10).join(', ')}`);
  }

  private system(st: GroupState, actor: string, body: { event: string; [k: string]: unknown }, extra: readonly string[] = []) {
    this.directory.changed(st.row.id);
    const to = extra.length ? [...memberIds(st), ...extra] : memberIds(st);
    return this.messages.sendSystem(groupConvId(st.row.id), to, body, actor);
  }

  async create(actor: string, input: { name: string; members: string[]; avatarUrl?: string }): Promise<Group> {
    const others = [...new Set(input.members)].filter((m) => m !== actor);
    if (others.length + 1 > this.maxSize) throw new ImError('bad_request', `members: a group has at most ${this.maxSize} members`);
    await this.requireUsers(others);
    if (this.checkName) await this.checkName(input.name, actor);
    const now = Date.now();
    const row: GroupRow = {
      id: randomBytes(9).toString('base64url'),
      name: input.name,
      avatarUrl: input.avatarUrl ? this.avatarLink(input.avatarUrl) : '',
      owner: actor,
      mutedAll: false,
      createdAt: now,
    };
    const members: GroupMemberRow[] = [
      { userId: actor, role: 'owner', joinedAt: now, mutedUntil: 0 },
      ...others.map((userId) => ({ userId, role: 'member' as const, joinedAt: now, mutedUntil: 0 })),
    ];
    await this.storage.groups.createGroup(row, members);
    const st = this.directory.add(row, members);
    await this.system(st, actor, { event: 'group_created', name: row.name, userIds: members.map((m) => m.userId) });
    return groupView(st);
  }

  async get(actor: string, id: string): Promise<Group> {
    return groupView((await this.directory.requireMember(id, actor)).st);
  }

  async patch(actor: string, id: string, patch: GroupPatch, by = actor): Promise<Group> {
    const { st } = await this.directory.requireModerator(id, actor);
    requireAlive(st);
    const changes: Partial<GroupRow> = {};
    if (patch.name !== undefined && patch.name !== st.row.name) {
      if (this.checkName) await this.checkName(patch.name, actor);
      changes.name = patch.name;
    }
    if (patch.avatarUrl !== undefined) changes.avatarUrl = patch.avatarUrl && this.avatarLink(patch.avatarUrl);
    if (patch.muted !== undefined && patch.muted !== st.row.mutedAll) changes.mutedAll = patch.muted;
    await this.storage.groups.updateGroup(id, changes);
    Object.assign(st.row, changes);
    if (changes.avatarUrl !== undefined) this.directory.changed(id);
    if (changes.name !== undefined) await this.system(st, by, { event: 'group_renamed', name: changes.name, by });
    if (changes.mutedAll !== undefined) await this.system(st, by, { event: 'group_muted', muted: changes.mutedAll, by });
    return groupView(st);
  }

  async listMembers(actor: string, id: string, limit: number, cursor?: string) {
    const { st } = await this.directory.requireMember(id, actor);
    const all = [...st.members.values()].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.joinedAt - b.joinedAt || (a.userId < b.userId ? -1 : 1));
    const start = cursor ? decodeOffset(cursor) : 0;
    const rows = all.slice(start, start + limit);
    const profiles = await this.storage.getUsers(rows.map((m) => m.userId));
    const page = rows.map((m) => {
      const p = profiles.get(m.userId);
      const out: GroupMember = { userId: m.userId, role: m.role, joinedAt: m.joinedAt, nickname: p?.nickname ?? '', avatarUrl: p?.avatarUrl ?? '' };
      if (m.mutedUntil > Date.now()) out.mutedUntil = m.mutedUntil;
      return out;
    });
    const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
    return next ? { members: page, nextCursor: next } : { members: page };
  }

  async addMembers(actor: string, id: string, userIds: string[]): Promise<Group> {
    const { st } = await this.directory.requireModerator(id, actor);
    requireAlive(st);
    const fresh = [...new Set(userIds)].filter((u) => !st.members.has(u));
    if (fresh.length === 0) return groupView(st);
    if (st.members.size + fresh.length > this.maxSize) {
      throw new ImError('bad_request', `userIds: a group has at most ${this.maxSize} members`);
    }
    await this.requireUsers(fresh);
    const now = Date.now();
    const rows = fresh.map((userId) => ({ userId, role: 'member' as const, joinedAt: now, mutedUntil: 0 }));
    await this.storage.groups.addMembers(id, rows);
    for (const r of rows) st.members.set(r.userId, r);
    st.list = null;
    await this.system(st, actor, { event: 'member_joined', userIds: fresh, by: actor });
    return groupView(st);
  }

  /** Leave (target = actor) or remove a member. The owner must transfer or disband instead of leaving. */
  async removeMember(actor: string, id: string, target: string): Promise<Group> {
    const { st, me } = await this.directory.requireMember(id, actor);
    const victim = st.members.get(target);
    if (!victim) throw new ImError('not_found', `${target} is not a member of this group`);
    if (target === actor) {
      if (me.role === 'owner' && st.row.disbandedAt === undefined) {
        throw new ImError('conflict', 'the owner cannot leave: transfer ownership or disband the group first');
      }
    } else if (!(me.role === 'owner' || (me.role === 'admin' && victim.role === 'member'))) {
      throw new ImError('forbidden', 'only the owner, or an admin for plain members, can remove members');
    }
    await this.storage.groups.removeMember(id, target);
    st.members.delete(target);
    st.list = null;
    await this.system(st, actor, { event: 'member_left', userIds: [target], by: actor }, [target]);
    return groupView(st);
  }

  /** Owner sets roles; owner/admin mute plain members (admins only by the owner). */
  async updateMember(actor: string, id: string, target: string, patch: { role?: 'admin' | 'member'; mutedUntil?: number }, by = actor) {
    const { st, me } = await this.directory.requireModerator(id, actor);
    requireAlive(st);
    const m = st.members.get(target);
    if (!m) throw new ImError('not_found', `${target} is not a member of this group`);
    if (m.role === 'owner') throw new ImError('forbidden', 'the owner’s role and mute cannot be changed');
    if (patch.role !== undefined && me.role !== 'owner') throw new ImError('forbidden', 'only the owner can change roles');
    if (patch.mutedUntil !== undefined && me.role === 'admin' && m.role !== 'member') {
      throw new ImError('forbidden', 'only the owner can mute an admin');
    }
    await this.storage.groups.updateMember(id, target, patch);
    if (patch.role !== undefined && patch.role !== m.role) {
      m.role = patch.role;
      await this.system(st, by, { event: 'role_changed', userId: target, role: patch.role, by });
    }
    if (patch.mutedUntil !== undefined) {
      m.mutedUntil = patch.mutedUntil;
      await this.system(st, by, { event: 'member_muted', userId: target, mutedUntil: patch.mutedUntil, by });
    }
    const out: GroupMember = { userId: m.userId, role: m.role, joinedAt: m.joinedAt };
    if (m.mutedUntil > Date.now()) out.mutedUntil = m.mutedUntil;
    return out;
  }

  async transfer(actor: string, id: string, target: string, by = actor): Promise<Group> {
    const { st, me } = await this.directory.requireMember(id, actor);
    requireAlive(st);
    if (me.role !== 'owner') throw new ImError('forbidden', 'only the owner can transfer the group');
    const next = st.members.get(target);
    if (!next) throw new ImError('not_found', `${target} is not a member of this group`);
    if (target === actor) return groupView(st);
    await this.storage.groups.updateMember(id, actor, { role: 'admin' });
    await this.storage.groups.updateMember(id, target, { role: 'owner', mutedUntil: 0 });
    await this.storage.groups.updateGroup(id, { owner: target });
    me.role = 'admin';
    next.role = 'owner';
    next.mutedUntil = 0;
    st.row.owner = target;
    await this.system(st, by, { event: 'owner_changed', owner: target, by });
    return groupView(st);
  }

  async disband(actor: string, id: string, by = actor): Promise<Group> {
    const { st, me } = await this.directory.requireMember(id, actor);
    if (me.role !== 'owner') throw new ImError('forbidden', 'only the owner can disband the group');
    if (st.row.disbandedAt !== undefined) return groupView(st);
    await this.system(st, by, { event: 'group_disbanded', by });
    const now = Date.now();
    await this.storage.groups.updateGroup(id, { disbandedAt: now });
    st.row.disbandedAt = now;
    return groupView(st);
  }

  /** Who has read up to `seq`: count and one page of user ids. */
  async readers(actor: string, id: string, seq: number, limit: number, cursor?: string) {
    await this.directory.requireMember(id, actor);
    const r = await this.storage.groups.readers(groupConvId(id), seq, limit, cursor);
    const out: { conv: string; seq: number; count: number; readers: string[]; nextCursor?: string } = {
      conv: groupConvId(id),
      seq,
      count: r.count,
      readers: r.userIds,
    };
    if (r.nextCursor) out.nextCursor = r.nextCursor;
    return out;
  }
}

function decodeOffset(cursor: string): number {
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw new ImError('bad_request', 'cursor is not valid');
  return n;
}
