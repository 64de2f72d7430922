/**
 * The admin API's message operations: look a message up (by conv+seq or id), remove any
 * message with a `content_removed` notice, export a conversation as JSON Lines, and
 * system notices (`{event: "notice", text}`) to a user, a group or everyone.
 */
import { directConvId, groupConvId, ImError, type Msg, parseConvId, parseTarget, SYSTEM_USER_ID } from '@miniim/protocol';
import type { GroupDirectory } from '../core/group-directory.js';
import type { MessageService } from '../core/message-service.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/storage.js';

/** The profile of the sender of notices, as clients see it in their conversation list. */
export const NOTICE_SENDER_NICKNAME = '系统通知';

/** Messages per history page read by a conversation export; users per page of a notice to everyone. */
const PAGE = 500;

export interface AdminContentDeps {
  storage: Storage;
  messages: Pick<MessageService, 'removeContent' | 'sendSystem' | 'sign'>;
  groups: Pick<GroupDirectory, 'require' | 'allMembers'>;
  logger: Logger;
}

/** `u:<userId>`, `g:<groupId>` or `all`. */
export type NoticeTarget = { kind: 'user'; userId: string } | { kind: 'group'; groupId: string } | { kind: 'all' };

export function parseNoticeTarget(to: string): NoticeTarget {
  if (to === 'all') return { kind: 'all' };
  const t = parseTarget(to);
  if (!t) throw new ImError('bad_request', 'to must be u:<userId>, g:<groupId> or all');
  if (t.kind === 'user' && t.userId === SYSTEM_USER_ID) throw new ImError('bad_request', 'to: notices come from system; they are not sent to it');
  return t;
}

export function requireConv(conv: string): string {
  if (!parseConvId(conv)) throw new ImError('bad_request', 'conv must be a conversation id (d:<a>:<b> or g:<groupId>)');
  return conv;
}

export class AdminContent {
  private senderReady = false;

  constructor(private readonly d: AdminContentDeps) {}

  async get(conv: string, seq: number): Promise<{ msg: Msg }> {
    const msg = await this.d.storage.getMessage(requireConv(conv), seq);
    if (!msg) throw new ImError('not_found', `no message ${seq} in ${conv}`);
    return { msg: this.d.messages.sign(msg) };
  }

  async getById(id: string): Promise<{ msg: Msg }> {
    const msg = await this.d.storage.admin.getMessageById(id);
    if (!msg) throw new ImError('not_found', `no message ${id}`);
    return { msg: this.d.messages.sign(msg) };
  }

  /** Recalls the message whatever its age or sender, tells the members, adds a `content_removed` notice. */
  async remove(conv: string, seq: number) {
    await this.get(conv, seq);
    const removed = await this.d.messages.removeContent(conv, seq);
    return { conv, seq, removed };
  }

  /** The conversation's messages, oldest first, one JSON object per line; not_found before anything is sent. */
  async exportConversation(conv: string): Promise<AsyncGenerator<string>> {
    requireConv(conv);
    if (!(await this.d.storage.getConversation(conv))) throw new ImError('not_found', `conversation ${conv} not found`);
    return this.lines(conv);
  }

  private async *lines(conv: string): AsyncGenerator<string> {
    let after = 0;
    for (;;) {
      const page = await this.d.storage.history(conv, { after, limit: PAGE });
      if (page.messages.length > 0) yield `${page.messages.map((m) => JSON.stringify(this.d.messages.sign(m))).join('\n')}\n`;
      if (!page.hasMore || page.messages.length === 0) return;
      after = page.messages[page.messages.length - 1]!.seq;
    }
  }

  /** Sends `{event: "notice", text}` as a system message; to everyone, one message per user. */
  async notice(target: NoticeTarget, text: string): Promise<{ to: string; sent: number }> {
    const body = { event: 'notice', text };
    if (target.kind === 'group') {
      const st = await this.d.groups.require(target.groupId);
      if (st.row.disbandedAt !== undefined) throw new ImError('conflict', `group ${target.groupId} is disbanded`);
      await this.d.messages.sendSystem(groupConvId(target.groupId), await this.d.groups.allMembers(target.groupId), body, SYSTEM_USER_ID);
      return { to: `g:${target.groupId}`, sent: 1 };
    }
    await this.ensureSender();
    if (target.kind === 'user') {
      if (!(await this.d.storage.getUser(target.userId))) throw new ImError('not_found', `user ${target.userId} not found`);
      await this.toUser(target.userId, body);
      return { to: `u:${target.userId}`, sent: 1 };
    }
    let sent = 0;
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await this.d.storage.admin.listUsers(PAGE, cursor);
      const users = page.users.filter((u) => u.id !== SYSTEM_USER_ID);
      // One page at a time through the group committer: the messages of a page share commits.
      await Promise.all(users.map((u) => this.toUser(u.id, body)));
      sent += users.length;
      cursor = page.nextCursor;
    }
    return { to: 'all', sent };
  }

  /** A notice lands in the user's direct conversation with `system`. */
  private toUser(userId: string, body: { event: string; text: string }) {
    return this.d.messages.sendSystem(directConvId(SYSTEM_USER_ID, userId), [SYSTEM_USER_ID, userId], body, SYSTEM_USER_ID);
  }

  /** `system` gets a profile (nickname 系统通知) so that clients can name the conversation. */
  private async ensureSender(): Promise<void> {
    if (this.senderReady) return;
    await this.d.storage.upsertUser(SYSTEM_USER_ID, { nickname: NOTICE_SENDER_NICKNAME });
    this.senderReady = true;
  }
}
