/**
 * An in-memory Storage for unit tests of the core services: the interface's rules
 * (per-conversation gap-free seqs, dedupe by (from, clientMsgId), read marks only
 * forward and capped, unread excludes own and system messages) in plain maps, so
 * core rules are tested without a database or sockets. The real backends are held
 * to the same rules by the contract suite (test/contract/).
 */
import { type Msg, parseConvId } from '@miniim/protocol';
import type {
  AdminRepo,
  AppendResult,
  ConversationRow,
  ConversationSummary,
  GroupMemberRow,
  GroupRepo,
  GroupRow,
  MembershipRow,
  NewMessage,
  SessionRow,
  Storage,
  StoredUser,
  WechatRepo,
} from '../../src/storage/storage.js';

interface Conversation extends ConversationRow {
  messages: Msg[];
  /** `from` NUL `clientMsgId` → the message: the dedupe lookup without a scan (the bench's no-disk control appends to long conversations). */
  byClient: Map<string, Msg>;
  /** userId → readSeq */
  members: Map<string, number>;
}

const notHere = () => {
  throw new Error('not used by the core unit tests');
};

export class MemoryStorage implements Storage {
  readonly kind = 'memory';
  readonly convs = new Map<string, Conversation>();
  readonly users = new Map<string, StoredUser>();
  readonly sessions = new Map<string, SessionRow>();
  readonly groupRows = new Map<string, { row: GroupRow; members: Map<string, GroupMemberRow> }>();
  /** Number of appendMessages calls (group commits). */
  appendCalls = 0;
  /** When set, the next appendMessages throws it (a failed transaction). */
  failNextAppend?: Error;

  private conv(id: string, members: readonly string[] = []): Conversation {
    let c = this.convs.get(id);
    if (!c) {
      const kind = parseConvId(id)?.kind === 'group' ? 'group' : 'direct';
      c = { conv: id, kind, lastSeq: 0, updatedAt: 0, messages: [], byClient: new Map(), members: new Map() };
      this.convs.set(id, c);
    }
    for (const m of members) if (!c.members.has(m)) c.members.set(m, 0);
    return c;
  }

  async appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]> {
    this.appendCalls++;
    if (this.failNextAppend) {
      const err = this.failNextAppend;
      this.failNextAppend = undefined;
      throw err;
    }
    return items.map((it) => {
      const c = this.conv(it.conv, it.members);
      const key = it.clientMsgId === undefined ? undefined : `${it.from}\u0000${it.clientMsgId}`;
      const dup = key === undefined ? undefined : c.byClient.get(key);
      if (dup) return { ok: true, msg: dup, duplicate: true };
      const msg: Msg = { id: it.id, conv: it.conv, seq: c.lastSeq + 1, from: it.from, kind: it.kind, body: it.body, ts: it.ts };
      if (it.clientMsgId !== undefined) msg.clientMsgId = it.clientMsgId;
      c.messages.push(msg);
      if (key !== undefined) c.byClient.set(key, msg);
      if (it.mediaKeys?.length) this.mediaRefs.set(`${it.conv}\u0000${msg.seq}`, [...new Set(it.mediaKeys)]);
      c.lastSeq = msg.seq;
      c.updatedAt = it.ts;
      return { ok: true, msg, duplicate: false };
    });
  }

  async history(conv: string, range: { before?: number; after?: number; limit: number }) {
    const all = this.convs.get(conv)?.messages ?? [];
    if (range.after !== undefined) {
      const rest = all.filter((m) => m.seq > range.after!);
      return { messages: rest.slice(0, range.limit), hasMore: rest.length > range.limit };
    }
    const upto = range.before !== undefined ? all.filter((m) => m.seq < range.before!) : all;
    return { messages: upto.slice(-range.limit), hasMore: upto.length > range.limit };
  }

  async getMessage(conv: string, seq: number) {
    return this.convs.get(conv)?.messages.find((m) => m.seq === seq);
  }

  async recall(conv: string, seq: number, by: string, ts: number) {
    const m = await this.getMessage(conv, seq);
    if (!m) return undefined;
    m.body = {};
    m.recalled = { by, ts };
    return m;
  }

  /** `conv\u0000seq` → media keys of that message. */
  readonly mediaRefs = new Map<string, readonly string[]>();

  async releaseMedia(conv: string, seq: number) {
    const own = this.mediaRefs.get(`${conv}\u0000${seq}`) ?? [];
    this.mediaRefs.delete(`${conv}\u0000${seq}`);
    const used = new Set([...this.mediaRefs.values()].flat());
    return own.filter((k) => !used.has(k));
  }

  async getConversation(conv: string) {
    const c = this.convs.get(conv);
    return c ? { conv: c.conv, kind: c.kind, lastSeq: c.lastSeq, updatedAt: c.updatedAt } : undefined;
  }

  async listForUser(userId: string, limit: number) {
    const rows: MembershipRow[] = [];
    for (const c of this.convs.values()) {
      const readSeq = c.members.get(userId);
      if (readSeq === undefined) continue;
      rows.push({ conv: c.conv, kind: c.kind, lastSeq: c.lastSeq, updatedAt: c.updatedAt, readSeq });
    }
    rows.sort((a, b) => b.updatedAt - a.updatedAt);
    return { rows: rows.slice(0, limit) };
  }

  async getMembership(conv: string, userId: string) {
    const c = this.convs.get(conv);
    const readSeq = c?.members.get(userId);
    return c && readSeq !== undefined ? { conv, kind: c.kind, lastSeq: c.lastSeq, updatedAt: c.updatedAt, readSeq } : undefined;
  }

  async markRead(conv: string, userId: string, seq: number) {
    const c = this.convs.get(conv);
    const before = c?.members.get(userId);
    if (!c || before === undefined) return 0;
    const next = Math.max(before, Math.min(seq, c.lastSeq));
    c.members.set(userId, next);
    return next;
  }

  async countUnread(conv: string, userId: string, readSeq: number) {
    const c = this.convs.get(conv);
    return c ? c.messages.filter((m) => m.seq > readSeq && m.from !== userId && m.kind !== 'system').length : 0;
  }

  async summarize(userId: string, rows: readonly MembershipRow[]) {
    const out = new Map<string, ConversationSummary>();
    for (const r of rows) {
      const c = this.convs.get(r.conv);
      const summary: ConversationSummary = { unread: await this.countUnread(r.conv, userId, r.readSeq), mentioned: false };
      const last = c?.messages.at(-1);
      if (last) summary.lastMessage = last;
      out.set(r.conv, summary);
    }
    return out;
  }

  async getUser(id: string) {
    return this.users.get(id);
  }

  async getUsers(ids: readonly string[]) {
    const out = new Map<string, StoredUser>();
    for (const id of ids) {
      const u = this.users.get(id);
      if (u) out.set(id, u);
    }
    return out;
  }

  async upsertUser(id: string, profile: { nickname?: string; avatarUrl?: string }) {
    const u = this.users.get(id) ?? { id, nickname: id, avatarUrl: '', createdAt: Date.now() };
    const next = { ...u, ...profile };
    this.users.set(id, next);
    return next;
  }

  async updateProfile(id: string, profile: { nickname?: string; avatarUrl?: string }) {
    return this.users.has(id) ? this.upsertUser(id, profile) : undefined;
  }

  async createSession(row: SessionRow) {
    this.sessions.set(row.id, { ...row });
  }

  async getSession(id: string) {
    return this.sessions.get(id);
  }

  async getSessionWithUser(id: string) {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const user = this.users.get(session.userId);
    return user ? { session, user } : { session };
  }

  async revokeSession(id: string, at: number) {
    const s = this.sessions.get(id);
    if (s) s.revokedAt = at;
  }
  async pruneSessions(before: number) {
    let n = 0;
    for (const [id, row] of this.sessions) {
      if (row.expiresAt < before || (row.revokedAt !== undefined && row.revokedAt < before)) {
        this.sessions.delete(id);
        n++;
      }
    }
    return n;
  }

  readonly groups: GroupRepo = {
    createGroup: async (group, members) => {
      this.groupRows.set(group.id, { row: { ...group }, members: new Map(members.map((m) => [m.userId, { ...m }])) });
      this.conv(
        `g:${group.id}`,
        members.map((m) => m.userId),
      );
    },
    getGroup: async (id) => {
      const g = this.groupRows.get(id);
      return g ? { ...g.row } : undefined;
    },
    updateGroup: async (id, patch) => {
      const g = this.groupRows.get(id);
      if (g) Object.assign(g.row, patch);
    },
    listMembers: async (id) => [...(this.groupRows.get(id)?.members.values() ?? [])].map((m) => ({ ...m })),
    addMembers: async (id, members) => {
      const g = this.groupRows.get(id);
      const c = this.conv(`g:${id}`);
      for (const m of members) {
        g?.members.set(m.userId, { ...m });
        c.members.set(m.userId, c.lastSeq);
      }
    },
    removeMember: async (id, userId) => {
      this.groupRows.get(id)?.members.delete(userId);
      this.convs.get(`g:${id}`)?.members.delete(userId);
    },
    updateMember: async (id, userId, patch) => {
      const m = this.groupRows.get(id)?.members.get(userId);
      if (m) Object.assign(m, patch);
    },
    readers: async (conv, seq) => {
      const ids = [...(this.convs.get(conv)?.members ?? [])]
        .filter(([, r]) => r >= seq)
        .map(([u]) => u)
        .sort();
      return { count: ids.length, userIds: ids };
    },
    hasMention: async () => false,
  };

  readonly wechat: WechatRepo = {
    upsertIdentity: notHere,
    getIdentity: async () => undefined,
    setPhone: notHere,
    getPhone: notHere,
    credits: { add: notHere, consume: notHere, balance: notHere } as unknown as WechatRepo['credits'],
    throttle: { acquire: notHere } as unknown as WechatRepo['throttle'],
    traces: { put: notHere, get: notHere, delete: notHere } as unknown as WechatRepo['traces'],
  };

  /**
   * The core services never call the admin repository (the admin feature's tests use the real backends),
   * except the ban check at login: nobody is banned here (the bench's `miniim-memory` target logs in).
   */
  readonly admin = new Proxy({}, { get: (_t, key) => (key === 'getBan' ? async () => undefined : notHere) }) as AdminRepo;

  async ping() {}
  async close() {}
}
