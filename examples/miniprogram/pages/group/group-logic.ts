/**
 * Group settings: members (names and roles), add and remove (owner and admins), rename,
 * mute, leave. Routes: GET/PATCH /api/groups/:id, GET/POST /api/groups/:id/members,
 * DELETE /api/groups/:id/members/:userId (through the SDK).
 */
import type { Group, GroupMember } from '@miniim/sdk/wx';
import { toast } from '../../lib/app-wx.js';
import { errorText, mediaUrl } from '../../lib/format.js';
import type { ImSession } from '../../lib/session.js';
import type { ViewSink } from '../../lib/view.js';

export interface MemberRow {
  userId: string;
  name: string;
  avatarUrl: string;
  role: GroupMember['role'];
  roleText: string;
  removable: boolean;
}

export interface GroupData {
  id: string;
  name: string;
  memberCount: number;
  muted: boolean;
  isAdmin: boolean;
  members: MemberRow[];
  baseUrl: string;
}

export function initialGroupData(): GroupData {
  return { id: '', name: '', memberCount: 0, muted: false, isAdmin: false, members: [], baseUrl: '' };
}

const ROLE_TEXT = { owner: '群主', admin: '管理员', member: '' } as const;

export class GroupLogic {
  private group: Group | undefined;
  private raw: GroupMember[] = [];

  constructor(
    private readonly view: ViewSink<GroupData>,
    private readonly session: ImSession,
  ) {}

  private get me(): string {
    return this.session.user?.id ?? '';
  }

  /** Page `onLoad` with `?id=<groupId>`. */
  async load(query: { id?: string }): Promise<void> {
    const id = decodeURIComponent(query.id ?? '');
    const client = this.session.need();
    const [group, page] = await Promise.all([client.getGroup(id), client.groupMembers(id, { limit: 100 })]);
    this.raw = page.members;
    await this.session.lookupUsers(page.members.map((m) => m.userId));
    this.apply(group);
  }

  private apply(group: Group): void {
    this.group = group;
    const isAdmin = group.owner === this.me || group.admins.includes(this.me);
    const rank = { owner: 0, admin: 1, member: 2 };
    const members = [...this.raw]
      .sort((a, b) => rank[a.role] - rank[b.role] || a.joinedAt - b.joinedAt)
      .map((m) => ({
        userId: m.userId,
        name: this.session.nameOf(m.userId),
        avatarUrl: mediaUrl(this.session.userOf(m.userId)?.avatarUrl, this.session.baseUrl),
        role: m.role,
        roleText: ROLE_TEXT[m.role],
        // Owners remove anyone but themselves; admins remove plain members.
        removable: m.userId !== this.me && m.role !== 'owner' && (group.owner === this.me || (isAdmin && m.role === 'member')),
      }));
    this.view.setData({
      id: group.id,
      name: group.name,
      memberCount: group.memberCount,
      muted: !!group.muted,
      isAdmin,
      members,
      baseUrl: this.session.baseUrl,
    });
  }

  private async reload(): Promise<void> {
    if (this.group) await this.load({ id: this.group.id });
  }

  private async act(fn: () => Promise<void>, failText: string): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      toast(this.session.wx, errorText(err, failText));
      return false;
    }
  }

  /** "群聊名称". */
  rename(name: string): Promise<boolean> {
    const n = name.trim();
    if (!n || !this.group) return Promise.resolve(false);
    return this.act(async () => this.apply(await this.session.need().updateGroup(this.group?.id ?? '', { name: n })), '修改失败');
  }

  /** "消息免打扰". */
  setMuted(muted: boolean): Promise<boolean> {
    return this.act(async () => this.apply(await this.session.need().updateGroup(this.group?.id ?? '', { muted })), '设置失败');
  }

  /** "添加成员" with user ids (comma or space separated). */
  addMembers(input: string | string[]): Promise<boolean> {
    const ids = (Array.isArray(input) ? input : input.split(/[\s,，]+/)).map((s) => s.trim()).filter(Boolean);
    if (!ids.length) return Promise.resolve(false);
    return this.act(async () => {
      await this.session.need().addGroupMembers(this.group?.id ?? '', ids);
      await this.reload();
    }, '添加失败');
  }

  /** "移出群聊" (after a confirmation in the page). */
  removeMember(userId: string): Promise<boolean> {
    return this.act(async () => {
      await this.session.need().removeGroupMember(this.group?.id ?? '', userId);
      await this.reload();
    }, '移除失败');
  }

  /** "退出群聊": back to the list. */
  leave(): Promise<boolean> {
    return this.act(async () => {
      await this.session.need().leaveGroup(this.group?.id ?? '');
      this.session.wx.reLaunch({ url: '/pages/index/index' });
    }, '退出失败');
  }
}
