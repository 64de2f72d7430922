/**
 * The admin API's group operations: list, look at, page members, dissolve, transfer,
 * mute the group or a member. Changes go through GroupService with the owner's rights,
 * and the group's system notice names `system` as the one who acted.
 */
import { ImError, SYSTEM_USER_ID } from '@miniim/protocol';
import { type GroupDirectory, groupView } from '../core/group-directory.js';
import type { GroupService } from '../core/group-service.js';
import type { Storage } from '../storage/storage.js';

export interface AdminGroupsDeps {
  storage: Storage;
  directory: Pick<GroupDirectory, 'require'>;
  groups: GroupService;
}

export class AdminGroups {
  constructor(private readonly d: AdminGroupsDeps) {}

  /** Groups by id, disbanded ones included (`disbanded: true`). */
  async list(limit: number, cursor?: string) {
    const page = await this.d.storage.admin.listGroups(limit, cursor);
    const groups = await Promise.all(page.groups.map(async (g) => groupView(await this.d.directory.require(g.id))));
    return page.nextCursor ? { groups, nextCursor: page.nextCursor } : { groups };
  }

  async get(id: string) {
    return groupView(await this.d.directory.require(id));
  }

  async members(id: string, limit: number, cursor?: string) {
    return this.d.groups.listMembers(await this.owner(id), id, limit, cursor);
  }

  async dissolve(id: string) {
    return this.d.groups.disband(await this.owner(id), id, SYSTEM_USER_ID);
  }

  async transfer(id: string, userId: string) {
    return this.d.groups.transfer(await this.owner(id), id, userId, SYSTEM_USER_ID);
  }

  /** Mutes (or unmutes) the whole group. */
  async mute(id: string, muted: boolean) {
    return this.d.groups.patch(await this.owner(id), id, { muted }, SYSTEM_USER_ID);
  }

  /** Mutes a member until `mutedUntil` (epoch ms; 0 lifts it). The owner cannot be muted. */
  async muteMember(id: string, userId: string, mutedUntil: number) {
    return this.d.groups.updateMember(await this.owner(id), id, userId, { mutedUntil }, SYSTEM_USER_ID);
  }

  private async owner(id: string): Promise<string> {
    const st = await this.d.directory.require(id);
    if (!st.members.has(st.row.owner)) throw new ImError('conflict', `group ${id} has no owner among its members`);
    return st.row.owner;
  }
}
