/**
 * The in-memory index of groups: each group's row and members, loaded once from
 * storage and kept in step by GroupService on every change, so a group message
 * never queries the database for its recipients. It answers the membership
 * questions of MessageService (GroupAccess) and ConversationService (GroupLookup),
 * and is built before both, so neither needs the GroupService (which sends
 * system messages through MessageService).
 */
import { type ClientMessageKind, type Group, ImError, type MessageBody } from '@miniim/protocol';
import type { Bus } from '../cluster/bus.js';
import type { GroupMemberRow, GroupRepo, GroupRow } from '../storage/storage.js';
import type { GroupLookup } from './conversation-service.js';
import type { GroupAccess } from './message-service.js';

/** One group as the index holds it; GroupService updates it after each stored change. */
export interface GroupState {
  row: GroupRow;
  members: Map<string, GroupMemberRow>;
  /** Cached member id array for fan-out; rebuilt after a membership change (set to null). */
  list: string[] | null;
}

/** Throws forbidden when the group was disbanded. */
export function requireAlive(st: GroupState): void {
  if (st.row.disbandedAt !== undefined) throw new ImError('forbidden', 'the group was disbanded');
}

/** The member ids of a group (cached until the next membership change). */
export function memberIds(st: GroupState): string[] {
  st.list ??= [...st.members.keys()];
  return st.list;
}

/** A group as clients see it. */
export function groupView(st: GroupState): Group {
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

export class GroupDirectory implements GroupAccess, GroupLookup {
  private readonly cache = new Map<string, GroupState>();
  private readonly loading = new Map<string, Promise<GroupState | undefined>>();

  constructor(
    private readonly groups: GroupRepo,
    /** Other nodes' changes drop this node's copy of a group (and every copy after a bus outage). */
    private readonly bus: Bus,
  ) {
    bus.onEvent((e) => {
      if (e.type === 'group_changed') this.forget(e.groupId);
    });
    bus.onRecovered(() => {
      for (const id of [...this.cache.keys(), ...this.loading.keys()]) this.forget(id);
    });
  }

  /** Tells the other nodes that a group's stored state changed (they reload it on next use). */
  changed(id: string): void {
    this.bus.broadcast({ type: 'group_changed', groupId: id });
  }

  /** Drops the cached copy; a load in flight may have read the old rows, so it is not kept either. */
  private forget(id: string): void {
    this.cache.delete(id);
    this.loading.delete(id);
  }

  /** The group's state, loaded on first use; undefined when there is no such group. */
  async state(id: string): Promise<GroupState | undefined> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    let p = this.loading.get(id);
    if (!p) {
      p = (async () => {
        const row = await this.groups.getGroup(id);
        if (!row) return undefined;
        const members = new Map((await this.groups.listMembers(id)).map((m) => [m.userId, m]));
        const st: GroupState = { row, members, list: null };
        if (this.loading.get(id) === p) this.cache.set(id, st);
        return st;
      })().finally(() => {
        if (this.loading.get(id) === p) this.loading.delete(id);
      });
      this.loading.set(id, p);
    }
    return p;
  }

  /** Indexes a group just created (and stored). */
  add(row: GroupRow, members: readonly GroupMemberRow[]): GroupState {
    const st: GroupState = { row, members: new Map(members.map((m) => [m.userId, m])), list: null };
    this.cache.set(row.id, st);
    return st;
  }

  async require(id: string): Promise<GroupState> {
    const st = await this.state(id);
    if (!st) throw new ImError('not_found', `group ${id} not found`);
    return st;
  }

  async requireMember(id: string, userId: string): Promise<{ st: GroupState; me: GroupMemberRow }> {
    const st = await this.require(id);
    const me = st.members.get(userId);
    if (!me) throw new ImError('forbidden', 'not a member of this group');
    return { st, me };
  }

  async requireModerator(id: string, userId: string): Promise<{ st: GroupState; me: GroupMemberRow }> {
    const r = await this.requireMember(id, userId);
    if (r.me.role === 'member') throw new ImError('forbidden', 'only the group owner or an admin can do this');
    return r;
  }

  // ---- GroupAccess (used by MessageService) ----

  async membersForSend(groupId: string, userId: string, kind: ClientMessageKind, body: MessageBody) {
    const { st, me } = await this.requireMember(groupId, userId);
    requireAlive(st);
    const moderator = me.role !== 'member';
    if (st.row.mutedAll && !moderator) throw new ImError('forbidden', 'the group is muted: only the owner and admins can send');
    if (me.mutedUntil > Date.now()) throw new ImError('forbidden', `you are muted in this group until ${new Date(me.mutedUntil).toISOString()}`);
    if (kind === 'text' && (body as { mentionAll?: boolean }).mentionAll && !moderator) {
      throw new ImError('forbidden', 'only the group owner or an admin can mention everyone');
    }
    return memberIds(st);
  }

  async membersForRead(groupId: string, userId: string) {
    const { st } = await this.requireMember(groupId, userId);
    return memberIds(st);
  }

  async allMembers(groupId: string) {
    const st = await this.state(groupId);
    return st ? memberIds(st) : [];
  }

  async isModerator(groupId: string, userId: string) {
    const st = await this.state(groupId);
    const role = st?.members.get(userId)?.role;
    return role === 'owner' || role === 'admin';
  }

  // ---- GroupLookup (used by ConversationService) ----

  async getGroupView(groupId: string, _userId: string) {
    const st = await this.state(groupId);
    return st ? groupView(st) : undefined;
  }
}
