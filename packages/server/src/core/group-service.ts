/**
 * Groups: creation, roles, membership, moderation and read-by queries. Keeps an
 * in-memory index of each group's members (loaded once, kept in step with every
 * change) so a group message never queries the database for its recipients.
 */
import { randomBytes } from 'node:crypto';
import { type ClientMessageKind, type Group, type GroupMember, groupConvId, ImError, type MessageBody } from '@miniim/protocol';
import type { GroupMemberRow, GroupRow, Storage } from '../storage/storage.js';
import type { GroupLookup } from './conversation-service.js';
import type { GroupAccess, MessageService } from './message-service.js';

interface GroupState {
  row: GroupRow;
  members: Map<string, GroupMemberRow>;
  /** Cached member id array for fan-out; rebuilt after a membership change. */
  list: string[] | null;
}

export interface GroupPatch {
  name?: string;
  avatarUrl?: string;
  muted?: boolean;
}

const ROLE_ORDER = { owner: 0, admin: 1, member: 2 } as const;

export class GroupService implements GroupAccess, GroupLookup {
  private readonly cache = new Map<string, GroupState>();
  private readonly loading = new Map<string, Promise<GroupState | undefined>>();

  constructor(
    private readonly storage: Storage,
    private readonly messages: MessageService,
    private readonly maxSize: number,
    /** Content-safety check of a group name; throws content_rejected / unavailable. */
    private readonly checkName?: (name: string, userId: string) => Promise<void>,
  ) {}

  // ---- index ----

  private async state(id: string): Promise<GroupState | undefined> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    let p = this.loading.get(id);
    if (!p) {
      p = (async () => {
        const row = await this.storage.groups.getGroup(id);
        if (!row) return undefined;
        const members = new Map((await this.storage.groups.listMembers(id)).map((m) => [m.userId, m]));
        const st: GroupState = { row, members, list: null };
        this.cache.set(id, st);
        return st;
      })().finally(() => this.loading.delete(id));
      this.loading.set(id, p);
    }
    return p;
  }

  private async require(id: string): Promise<GroupState> {
    const st = await this.state(id);
    if (!st) throw new ImError('not_found', `group ${id} not found`);
    return st;
  }

  private async requireMember(id: string, userId: string): Promise<{ st: GroupState; me: GroupMemberRow }> {
    const st = await this.require(id);
    const me = st.members.get(userId);
    if (!me) throw new ImError('forbidden', 'not a member of this group');
    return { st, me };
  }

  private async requireModerator(id: string, userId: string) {
    const r = await this.requireMember(id, userId);
    if (r.me.role === 'member') throw new ImError('forbidden', 'only the group owner or an admin can do this');
    return r;
  }

  private static alive(st: GroupState): void {
    if (st.row.disbandedAt !== undefined) throw new ImError('forbidden', 'the group was disbanded');
  }

  private static memberIds(st: GroupState): string[] {
    st.list ??= [...st.members.keys()];
    return st.list;
  }

  view(st: GroupState): Group {
    const admins: string[] = [];
    for (const m of st.members.values()) if (m.role === 'admin') admins.push(m.userId);
    const g: Group & { disbanded?: boolean } = {
      id: st.row.id,
      name: st.row.name,
      avatarUrl: st.row.avatarUrl,
      owner: st.row.owner,
      admins: admins.sort(),
      memberCount: st.members.size,
      createdAt: st.row.createdAt,
      muted: st.row.mutedAll,
    };
    if (st.row.disbandedAt !== undefined) g.disbanded = true;
    return g;
  }

  // ---- GroupAccess (used by MessageService) ----

  async membersForSend(groupId: string, userId: string, kind: ClientMessageKind, body: MessageBody) {
    const { st, me } = await this.requireMember(groupId, userId);
    GroupService.alive(st);
    const moderator = me.role !== 'member';
    if (st.row.mutedAll && !moderator) throw new ImError('forbidden', 'the group is muted: only the owner and admins can send');
    if (me.mutedUntil > Date.now()) throw new ImError('forbidden', `you are muted in this group until ${new Date(me.mutedUntil).toISOString()}`);
    if (kind === 'text' && (body as { mentionAll?: boolean }).mentionAll && !moderator) {
      throw new ImError('forbidden', 'only the group owner or an admin can mention everyone');
    }
    return GroupService.memberIds(st);
  }

  async membersForRead(groupId: string, userId: string) {
    const { st } = await this.requireMember(groupId, userId);
    return GroupService.memberIds(st);
  }

  async allMembers(groupId: string) {
    const st = await this.state(groupId);
    return st ? GroupService.memberIds(st) : [];
  }

  async isModerator(groupId: string, userId: string) {
    const st = await this.state(groupId);
    const role = st?.members.get(userId)?.role;
    return role === 'owner' || role === 'admin';
  }

  // ---- GroupLookup (used by ConversationService) ----

  async getGroupView(groupId: string, _userId: string) {
    const st = await this.state(groupId);
    return st ? this.view(st) : undefined;
  }

  // ---- operations ----

  private async requireUsers(ids: readonly string[]): Promise<void> {
    const found = await this.storage.getUsers(ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) throw new ImError('not_found', `unknown users: ${missing.slice(0, 10).join(', ')}`);
  }

  private system(st: GroupState, actor: string, body: { event: string; [k: string]: unknown }, extra: readonly string[] = []) {
    const to = extra.length ? [...GroupService.memberIds(st), ...extra] : GroupService.memberIds(st);
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
      avatarUrl: input.avatarUrl ?? '',
      owner: actor,
      mutedAll: false,
      createdAt: now,
    };
    const members: GroupMemberRow[] = [
      { userId: actor, role: 'owner', joinedAt: now, mutedUntil: 0 },
      ...others.map((userId) => ({ userId, role: 'member' as const, joinedAt: now, mutedUntil: 0 })),
    ];
    await this.storage.groups.createGroup(row, members);
    const st: GroupState = { row, members: new Map(members.map((m) => [m.userId, m])), list: null };
    this.cache.set(row.id, st);
    await this.system(st, actor, { event: 'group_created', name: row.name, userIds: members.map((m) => m.userId) });
    return this.view(st);
  }

  async get(actor: string, id: string): Promise<Group> {
    return this.view((await this.requireMember(id, actor)).st);
  }

  async patch(actor: string, id: string, patch: GroupPatch): Promise<Group> {
    const { st } = await this.requireModerator(id, actor);
    GroupService.alive(st);
    const changes: Partial<GroupRow> = {};
    if (patch.name !== undefined && patch.name !== st.row.name) {
      if (this.checkName) await this.checkName(patch.name, actor);
      changes.name = patch.name;
    }
    if (patch.avatarUrl !== undefined) changes.avatarUrl = patch.avatarUrl;
    if (patch.muted !== undefined && patch.muted !== st.row.mutedAll) changes.mutedAll = patch.muted;
    await this.storage.groups.updateGroup(id, changes);
    Object.assign(st.row, changes);
    if (changes.name !== undefined) await this.system(st, actor, { event: 'group_renamed', name: changes.name, by: actor });
    if (changes.mutedAll !== undefined) await this.system(st, actor, { event: 'group_muted', muted: changes.mutedAll, by: actor });
    return this.view(st);
  }

  async listMembers(actor: string, id: string, limit: number, cursor?: string) {
    const { st } = await this.requireMember(id, actor);
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
    const { st } = await this.requireModerator(id, actor);
    GroupService.alive(st);
    const fresh = [...new Set(userIds)].filter((u) => !st.members.has(u));
    if (fresh.length === 0) return this.view(st);
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
    return this.view(st);
  }

  /** Leave (target = actor) or remove a member. The owner must transfer or disband instead of leaving. */
  async removeMember(actor: string, id: string, target: string): Promise<Group> {
    const { st, me } = await this.requireMember(id, actor);
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
    return this.view(st);
  }

  /** Owner sets roles; owner/admin mute plain members (admins only by the owner). */
  async updateMember(actor: string, id: string, target: string, patch: { role?: 'admin' | 'member'; mutedUntil?: number }) {
    const { st, me } = await this.requireModerator(id, actor);
    GroupService.alive(st);
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
      await this.system(st, actor, { event: 'role_changed', userId: target, role: patch.role, by: actor });
    }
    if (patch.mutedUntil !== undefined) {
      m.mutedUntil = patch.mutedUntil;
      await this.system(st, actor, { event: 'member_muted', userId: target, mutedUntil: patch.mutedUntil, by: actor });
    }
    const out: GroupMember = { userId: m.userId, role: m.role, joinedAt: m.joinedAt };
    if (m.mutedUntil > Date.now()) out.mutedUntil = m.mutedUntil;
    return out;
  }

  async transfer(actor: string, id: string, target: string): Promise<Group> {
    const { st, me } = await this.requireMember(id, actor);
    GroupService.alive(st);
    if (me.role !== 'owner') throw new ImError('forbidden', 'only the owner can transfer the group');
    const next = st.members.get(target);
    if (!next) throw new ImError('not_found', `${target} is not a member of this group`);
    if (target === actor) return this.view(st);
    await this.storage.groups.updateMember(id, actor, { role: 'admin' });
    await this.storage.groups.updateMember(id, target, { role: 'owner', mutedUntil: 0 });
    await this.storage.groups.updateGroup(id, { owner: target });
    me.role = 'admin';
    next.role = 'owner';
    next.mutedUntil = 0;
    st.row.owner = target;
    await this.system(st, actor, { event: 'owner_changed', owner: target, by: actor });
    return this.view(st);
  }

  async disband(actor: string, id: string): Promise<Group> {
    const { st, me } = await this.requireMember(id, actor);
    if (me.role !== 'owner') throw new ImError('forbidden', 'only the owner can disband the group');
    if (st.row.disbandedAt !== undefined) return this.view(st);
    await this.system(st, actor, { event: 'group_disbanded', by: actor });
    const now = Date.now();
    await this.storage.groups.updateGroup(id, { disbandedAt: now });
    st.row.disbandedAt = now;
    return this.view(st);
  }

  /** Who has read up to `seq`: count and one page of user ids. */
  async readers(actor: string, id: string, seq: number, limit: number, cursor?: string) {
    await this.requireMember(id, actor);
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
