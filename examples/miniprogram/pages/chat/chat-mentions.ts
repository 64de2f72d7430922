/**
 * The @ picker of group chats: typing "@" lists the members (nicknames and avatars; "所有人" for
 * the owner and admins); a pick puts "@昵称 " into the text and remembers the id, and a send
 * carries the mention entities (`mentions`, `mentionAll`) for the names still in the text.
 */
import { mediaUrl } from '../../lib/format.js';
import type { ImSession } from '../../lib/session.js';

/** One row of the picker. */
export interface MentionCandidate {
  userId: string;
  name: string;
  avatarUrl: string;
}

/** `userId` of the "所有人" row. */
export const MENTION_ALL = '*';
const ALL_NAME = '所有人';

export class MentionPicker {
  /** name → user id, for the names picked into the current text. */
  private picked = new Map<string, string>();

  constructor(
    private readonly session: ImSession,
    private readonly groupId: string,
  ) {}

  /** The members to offer (not oneself), "所有人" first for admins. */
  async candidates(admin: boolean): Promise<MentionCandidate[]> {
    const me = this.session.user?.id ?? '';
    const members = await this.session.profiles.members(this.groupId);
    const rows = members
      .filter((m) => m.userId !== me)
      .map((m) => ({
        userId: m.userId,
        name: m.nickname || this.session.nameOf(m.userId),
        avatarUrl: mediaUrl(m.avatarUrl || this.session.userOf(m.userId)?.avatarUrl, this.session.baseUrl),
      }));
    return admin ? [{ userId: MENTION_ALL, name: ALL_NAME, avatarUrl: '' }, ...rows] : rows;
  }

  /** A pick: the text with the name after its trailing "@", and the id remembered. */
  pick(text: string, c: MentionCandidate): string {
    this.picked.set(c.name, c.userId);
    const base = text.endsWith('@') ? text : `${text}@`;
    return `${base}${c.name} `;
  }

  /** The mention entities of a text about to be sent (names deleted since are dropped). */
  entities(text: string): { mentions?: string[]; mentionAll?: boolean } {
    const out: { mentions?: string[]; mentionAll?: boolean } = {};
    const ids = new Set<string>();
    for (const [name, id] of this.picked) {
      if (!text.includes(`@${name}`)) continue;
      if (id === MENTION_ALL) out.mentionAll = true;
      else ids.add(id);
    }
    if (ids.size) out.mentions = [...ids];
    this.picked.clear();
    return out;
  }
}
