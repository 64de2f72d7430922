/**
 * Group members with nicknames and avatars (member lists carry profiles; every page of the list
 * through the SDK's ProfileStore), owner and admins first. Tap a member: a direct chat.
 */
import { directConvId, type GroupMember } from '@miniim/sdk/wx';
import { toast } from '../../lib/app-wx.js';
import { mediaUrl } from '../../lib/format.js';
import type { ImSession } from '../../lib/session.js';
import type { ViewSink } from '../../lib/view.js';

export interface MemberCell {
  userId: string;
  name: string;
  avatarUrl: string;
  roleText: string;
}

export interface MembersData {
  id: string;
  count: number;
  members: MemberCell[];
  loaded: boolean;
}

export function initialMembersData(): MembersData {
  return { id: '', count: 0, members: [], loaded: false };
}

const RANK = { owner: 0, admin: 1, member: 2 } as const;
const ROLE_TEXT = { owner: '群主', admin: '管理员', member: '' } as const;

/** Sorted rows (owner, admins, then by joining time) with display names. */
export function memberCells(members: GroupMember[], nameOf: (id: string) => string, avatarOf: (id: string) => string): MemberCell[] {
  return [...members]
    .sort((a, b) => RANK[a.role] - RANK[b.role] || a.joinedAt - b.joinedAt)
    .map((m) => ({ userId: m.userId, name: m.nickname || nameOf(m.userId), avatarUrl: avatarOf(m.userId), roleText: ROLE_TEXT[m.role] }));
}

export class MembersLogic {
  constructor(
    private readonly view: ViewSink<MembersData>,
    private readonly session: ImSession,
  ) {}

  /** Page `onLoad` with `?id=<groupId>`. */
  async load(query: { id?: string }): Promise<void> {
    const id = decodeURIComponent(query.id ?? '');
    try {
      const members = await this.session.profiles.members(id);
      const cells = memberCells(
        members,
        (u) => this.session.nameOf(u),
        (u) => mediaUrl(this.session.userOf(u)?.avatarUrl, this.session.baseUrl),
      );
      this.view.setData({ id, count: cells.length, members: cells, loaded: true });
    } catch {
      toast(this.session.wx, '成员加载失败');
    }
  }

  /** Tap on a member: their direct chat (not for oneself). */
  open(userId: string): void {
    const me = this.session.user?.id ?? '';
    if (!userId || userId === me) return;
    this.session.wx.navigateTo({ url: `/pages/chat/chat?conv=${encodeURIComponent(directConvId(me, userId))}` });
  }
}
