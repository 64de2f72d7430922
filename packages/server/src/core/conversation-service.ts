/** Conversation list, read state and unread counts (read diffusion: nothing per member per message). */
import { type Conv, type Group, ImError, parseConvId, type User } from '@miniim/protocol';
import type { Bus } from '../cluster/bus.js';
import type { ConversationSummary, MembershipRow, Storage } from '../storage/storage.js';
import type { MessageService } from './message-service.js';

export interface GroupLookup {
  getGroupView(groupId: string, userId: string): Promise<Group | undefined>;
}

export class ConversationService {
  constructor(
    private readonly storage: Storage,
    private readonly bus: Bus,
    private readonly messages: MessageService,
    private readonly groups: GroupLookup,
  ) {}

  async list(userId: string, limit: number, cursor?: string): Promise<{ conversations: Conv[]; nextCursor?: string }> {
    const page = await this.storage.listForUser(userId, limit, cursor);
    const peers = page.rows.map((r) => peerOf(r.conv, userId)).filter((p): p is string => p !== null);
    const [users, summaries] = await Promise.all([this.storage.getUsers(peers), this.storage.summarize(userId, page.rows)]);
    const conversations: Conv[] = [];
    for (const row of page.rows) conversations.push(await this.toConv(row, userId, users, summaries.get(row.conv)));
    return page.nextCursor ? { conversations, nextCursor: page.nextCursor } : { conversations };
  }

  private async toConv(row: MembershipRow, userId: string, users: Map<string, User>, summary: ConversationSummary | undefined): Promise<Conv> {
    const conv: Conv = {
      conv: row.conv,
      kind: row.kind,
      lastSeq: row.lastSeq,
      readSeq: row.readSeq,
      unread: summary?.unread ?? 0,
      updatedAt: row.updatedAt,
    };
    const parsed = parseConvId(row.conv);
    const peer = peerOf(row.conv, userId);
    if (peer) {
      const u = users.get(peer);
      conv.peer = u ? { id: u.id, nickname: u.nickname, avatarUrl: u.avatarUrl } : { id: peer, nickname: peer, avatarUrl: '' };
    } else if (parsed?.kind === 'group') {
      const g = await this.groups.getGroupView(parsed.groupId, userId);
      if (g) conv.group = g;
      if (conv.unread > 0) conv.mentioned = summary?.mentioned ?? false;
    }
    if (summary?.lastMessage) conv.lastMessage = this.messages.sign(summary.lastMessage);
    return conv;
  }

  /** How far the other member of a direct conversation has read (extension `GET /api/conversations/:conv/peer-read`). */
  async peerRead(userId: string, conv: string): Promise<{ conv: string; user: string; readSeq: number }> {
    const parsed = parseConvId(conv);
    if (parsed?.kind !== 'direct') throw new ImError('bad_request', 'conv must be a direct conversation (groups: /api/groups/:id/reads)');
    if (parsed.a !== userId && parsed.b !== userId) throw new ImError('forbidden', 'not a member of this conversation');
    const peer = parsed.a === userId ? parsed.b : parsed.a;
    const row = await this.storage.getMembership(conv, peer);
    return { conv, user: peer, readSeq: row?.readSeq ?? 0 };
  }

  /** Moves the user's read mark forward; tells the peer (direct) and the user's other devices. */
  async read(userId: string, conv: string, seq: number, exceptSessionId?: string) {
    const members = await this.messages.membersOf(conv, userId);
    const before = await this.storage.getMembership(conv, userId);
    if (!before) {
      // A direct conversation with no message yet: nothing to read.
      if (parseConvId(conv)?.kind === 'direct') return { conv, readSeq: 0, unread: 0 };
      throw new ImError('forbidden', 'not a member of this conversation');
    }
    const readSeq = await this.storage.markRead(conv, userId, seq);
    const unread = await this.storage.countUnread(conv, userId, readSeq);
    if (readSeq > before.readSeq) {
      const to = parseConvId(conv)?.kind === 'direct' ? members : [userId];
      const payload = JSON.stringify({ op: 'read', conv, user: userId, seq: readSeq });
      this.bus.publish(exceptSessionId ? { userIds: to, payload, exceptSessionId } : { userIds: to, payload });
    }
    return { conv, readSeq, unread };
  }
}

function peerOf(conv: string, me: string): string | null {
  const p = parseConvId(conv);
  if (p?.kind !== 'direct') return null;
  return p.a === me ? p.b : p.a;
}
