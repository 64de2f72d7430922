/**
 * The admin API's user operations: search, profile, sessions, ban and unban (every
 * session revoked, live sockets closed with 4403 on every node, logins refused), and the
 * data-subject requests: export everything stored about a user, erase a user.
 */
import { ImError, parseConvId, SYSTEM_USER_ID } from '@miniim/protocol';
import type { Bus } from '../cluster/bus.js';
import type { SessionRevocations } from '../core/session-revocations.js';
import type { Storage, WechatIdentityRow } from '../storage/storage.js';

export interface AdminUsersDeps {
  storage: Storage;
  bus: Pick<Bus, 'isOnline' | 'publish'>;
  revocations: Pick<SessionRevocations, 'emit'>;
  /** Every member of a conversation (the group's members, or the two of a direct chat). */
  membersOf(conv: string): Promise<readonly string[]>;
  /** Deletes the media of a recalled message that no other message references. */
  releaseMedia(conv: string, seq: number): Promise<void>;
}

/** Pages read at once by the exports. */
const PAGE = 500;

/** An identity as the admin API shows it: never the (encrypted) WeChat session key. */
function publicIdentity(r: WechatIdentityRow) {
  const { sessionKeyEnc: _secret, ...rest } = r;
  return rest;
}

export class AdminUsers {
  constructor(private readonly d: AdminUsersDeps) {}

  /** Users by id, id prefix, nickname part, openid or unionid. */
  async search(q: string, limit: number) {
    return { users: await this.d.storage.admin.searchUsers(q, limit) };
  }

  /** Profile, whether online anywhere, the ban, WeChat identities and phone. */
  async get(id: string) {
    const s = this.d.storage;
    const [user, online, ban, identities, phone] = await Promise.all([
      s.getUser(id),
      this.d.bus.isOnline([id]),
      s.admin.getBan(id),
      s.admin.identitiesOf(id),
      s.wechat.getPhone(id),
    ]);
    if (!user) throw new ImError('not_found', `user ${id} not found`);
    return {
      user,
      online: online.get(id) === true,
      banned: ban !== undefined,
      ...(ban ? { ban } : {}),
      identities: identities.map(publicIdentity),
      ...(phone ? { phone } : {}),
    };
  }

  async sessions(id: string) {
    const rows = await this.d.storage.admin.listSessions(id);
    return { sessions: rows.map(({ userId: _u, ...r }) => r) };
  }

  /** Bans: logins refused from now on, every session revoked, live sockets closed with 4403 on every node. */
  async ban(id: string, by: string, reason?: string) {
    const s = this.d.storage;
    if (!(await s.getUser(id))) throw new ImError('not_found', `user ${id} not found`);
    const at = Date.now();
    await s.admin.setBan(reason === undefined ? { userId: id, at, by } : { userId: id, at, by, reason });
    const revokedSessions = await s.admin.revokeUserSessions(id, at);
    this.d.revocations.emit({ userId: id, reason: 'banned' });
    return { userId: id, banned: true, at, revokedSessions };
  }

  async unban(id: string) {
    const lifted = await this.d.storage.admin.clearBan(id);
    return { userId: id, banned: false, lifted };
  }

  /** Everything stored about the user (PIPL/GDPR access request), as one JSON document. */
  async export(id: string) {
    const s = this.d.storage;
    const [user, ban, identities, phone, sessions, credits] = await Promise.all([
      s.getUser(id),
      s.admin.getBan(id),
      s.admin.identitiesOf(id),
      s.wechat.getPhone(id),
      s.admin.listSessions(id),
      s.wechat.credits.list(id),
    ]);
    const conversations = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await s.listForUser(id, PAGE, cursor);
      conversations.push(...page.rows.map(({ conv, kind, readSeq }) => ({ conv, kind, readSeq })));
      cursor = page.nextCursor;
    }
    const messages = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await s.admin.messagesFrom(id, PAGE, cursor);
      messages.push(...page.messages);
      cursor = page.nextCursor;
    }
    return {
      userId: id,
      exportedAt: Date.now(),
      user: user ?? null,
      ban: ban ?? null,
      identities: identities.map(publicIdentity),
      phone: phone ?? null,
      sessions: sessions.map(({ userId: _u, ...r }) => r),
      subscribeCredits: credits,
      conversations,
      messages,
    };
  }

  /**
   * Erases the user (PIPL/GDPR deletion): sessions revoked and sockets closed, every message
   * they sent turned into a recall stub by `system` (members online are told, as for a recall), profile,
   * identities, phone and the rest deleted. The ban, if any, stays.
   */
  async erase(id: string) {
    const by = SYSTEM_USER_ID;
    const s = this.d.storage;
    const at = Date.now();
    await s.admin.revokeUserSessions(id, at);
    this.d.revocations.emit({ userId: id, reason: 'revoked' });
    const { recalled } = await s.admin.eraseUser(id, by, at);
    for (const { conv, seq } of recalled) {
      if (!parseConvId(conv)) continue;
      const members = await this.d.membersOf(conv);
      this.d.bus.publish({ userIds: members, payload: JSON.stringify({ op: 'recalled', conv, seq, by }) });
      await this.d.releaseMedia(conv, seq);
    }
    return { userId: id, erased: true, recalledMessages: recalled.length };
  }
}
