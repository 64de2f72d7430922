/**
 * Messaging: send (validated, moderated, group-committed, then fanned out once
 * through the bus), history and recall. Transport-free: the gateway and the
 * HTTP routes both call it.
 */
import {
  type ClientMessageKind,
  directConvId,
  groupConvId,
  ImError,
  type MessageBody,
  type Msg,
  parseConvId,
  parseTarget,
  SYSTEM_USER_ID,
} from '@miniim/protocol';
import type { Bus } from '../cluster/bus.js';
import type { Logger } from '../logger.js';
import type { Metrics, SendTransport } from '../metrics/metrics.js';
import type { Storage } from '../storage/storage.js';
import type { CommitStats } from './commit-stats.js';
import { GroupCommitter } from './group-committer.js';
import { newMessageId } from './ids.js';

/** What the core needs from the group feature (implemented by the group service). */
export interface GroupAccess {
  /** Members to deliver to; throws not_found / forbidden (not a member, muted). */
  membersForSend(groupId: string, userId: string, kind: ClientMessageKind, body: MessageBody): Promise<readonly string[]>;
  /** Members of the group; throws not_found / forbidden when `userId` is not a member. */
  membersForRead(groupId: string, userId: string): Promise<readonly string[]>;
  /** Owner or admin. */
  isModerator(groupId: string, userId: string): Promise<boolean>;
  /** Every member, without a permission check (server-side actions). */
  allMembers(groupId: string): Promise<readonly string[]>;
}

export interface SendInput {
  to: string;
  clientMsgId: string;
  kind: ClientMessageKind;
  body: MessageBody;
}

export interface SendContext {
  userId: string;
  /** The sending socket's session, which gets an ack instead of a `msg` push. */
  sessionId?: string;
  /** How the send arrived (metrics); default `ws`. */
  transport?: SendTransport;
}

export interface MessageServiceDeps {
  storage: Storage;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  recallWindowMs: number;
  /** Group membership and roles (the group directory). */
  groups: GroupAccess;
  /** Content-safety check of text; throws ImError('content_rejected'). */
  moderateText?: (text: string, ctx: { userId: string; conv: string }) => Promise<void>;
  /**
   * Checks a media body (URLs issued by this server or allow-listed, sizes) and
   * returns it as stored (canonical URLs); throws ImError('bad_request').
   */
  checkMediaBody: (kind: ClientMessageKind, body: MessageBody) => MessageBody;
  /** Re-signs media URLs when a message is handed out (signed URLs on); identity otherwise. */
  signMessage?: (msg: Msg) => Msg;
  /** Blob keys of this server's media a checked body references (stored with the message). */
  mediaKeysOf?: (kind: ClientMessageKind, body: MessageBody) => string[];
  /** Deletes blobs no message references any more (after a recall); must not throw. */
  deleteMedia?: (keys: readonly string[]) => Promise<void>;
  /**
   * Called after a new (non-duplicate, non-system) message was committed and
   * fanned out: offline notifications, asynchronous media checks. Must not
   * block or throw; errors are logged and swallowed.
   */
  onCommitted?: (msg: Msg, members: readonly string[]) => void;
  /** Stage timings of the commit path (MINIIM_COMMIT_STATS); off when absent. */
  commitStats?: CommitStats;
  /** Commit delay of the group committer (ms, 0: off; absent: the storage's default) and its siblings rule. */
  commitDelay?: { ms?: number; siblings?: number };
}

/** Author of server-side actions (content removal). */
export const SYSTEM_USER = SYSTEM_USER_ID;

export class MessageService {
  private readonly committer: GroupCommitter;
  private readonly knownUsers = new Set<string>();

  constructor(private readonly d: MessageServiceDeps) {
    if (d.commitStats) d.storage.observeCommits?.(d.commitStats);
    const m = d.metrics;
    this.committer = new GroupCommitter(d.storage, {
      stats: d.commitStats,
      delayMs: d.commitDelay?.ms,
      delaySiblings: d.commitDelay?.siblings,
      onBatch: (n) => {
        m.commitBatch.observe(n);
        m.batchesInFlight.inc();
      },
      onBatchDone: (seconds) => {
        m.commitSeconds.observe(seconds);
        m.batchesInFlight.dec();
      },
    });
  }

  /**
   * Stores a message durably and fans it out; resolves with the committed message.
   * Counted in `miniim_sends_total` by outcome; its time in `miniim_ack_seconds`.
   */
  async send(ctx: SendContext, input: SendInput): Promise<Msg> {
    const started = performance.now();
    const transport = ctx.transport ?? 'ws';
    let outcome = 'ok';
    try {
      const { msg, duplicate } = await this.store(ctx, input);
      if (duplicate) outcome = 'duplicate';
      this.d.metrics.ack[transport].observe((performance.now() - started) / 1000);
      return msg;
    } catch (e) {
      outcome = e instanceof ImError ? e.code : 'internal';
      throw e;
    } finally {
      this.d.metrics.sends(transport, input.kind, outcome).inc();
    }
  }

  private async store(ctx: SendContext, input: SendInput): Promise<{ msg: Msg; duplicate: boolean }> {
    const target = parseTarget(input.to);
    if (!target) throw new ImError('bad_request', 'to must be "u:<userId>" or "g:<groupId>"');
    let conv: string;
    let members: readonly string[];
    if (target.kind === 'user') {
      if (target.userId === ctx.userId) throw new ImError('bad_request', 'to cannot be yourself');
      await this.requireUser(target.userId);
      conv = directConvId(ctx.userId, target.userId);
      members = [ctx.userId, target.userId];
    } else {
      conv = groupConvId(target.groupId);
      members = await this.d.groups.membersForSend(target.groupId, ctx.userId, input.kind, input.body);
    }
    const body = this.d.checkMediaBody(input.kind, input.body);
    const mediaKeys = this.d.mediaKeysOf?.(input.kind, body) ?? [];
    if (input.kind === 'text' && this.d.moderateText) {
      await this.d.moderateText((input.body as { text: string }).text, { userId: ctx.userId, conv });
    }
    const ts = Date.now();
    const result = await this.committer.append({
      id: newMessageId(ts),
      conv,
      members,
      from: ctx.userId,
      kind: input.kind,
      body,
      ts,
      clientMsgId: input.clientMsgId,
      ...(mediaKeys.length > 0 ? { mediaKeys } : {}),
    });
    if (!result.ok) {
      this.d.logger.error({ err: result.error, conv }, 'message commit failed; answered unavailable');
      throw new ImError('unavailable', 'message was not stored; safe to retry');
    }
    if (result.duplicate) return { msg: this.sign(result.msg), duplicate: true };
    this.d.metrics.messages.inc();
    const out = this.sign(result.msg);
    this.publishMessage(out, members, ctx.sessionId);
    if (this.d.onCommitted) {
      try {
        this.d.onCommitted(result.msg, members);
      } catch (err) {
        this.d.logger.error({ err, conv }, 'onCommitted hook failed');
      }
    }
    return { msg: out, duplicate: false };
  }

  /** Writes a server-authored `system` message (group events) and fans it out. */
  async sendSystem(conv: string, members: readonly string[], body: { event: string; [k: string]: unknown }, from: string) {
    const ts = Date.now();
    const result = await this.committer.append({ id: newMessageId(ts), conv, members, from, kind: 'system', body, ts });
    if (!result.ok) throw new ImError('unavailable', 'system message was not stored');
    this.publishMessage(result.msg, members);
    return result.msg;
  }

  private publishMessage(msg: Msg, members: readonly string[], exceptSessionId?: string): void {
    const payload = JSON.stringify({ op: 'msg', msg });
    this.d.bus.publish(exceptSessionId ? { userIds: members, payload, exceptSessionId, ts: msg.ts } : { userIds: members, payload, ts: msg.ts });
  }

  /** Members of a conversation the user belongs to; forbidden/not_found otherwise. */
  async membersOf(conv: string, userId: string): Promise<readonly string[]> {
    const parsed = parseConvId(conv);
    if (!parsed) throw new ImError('bad_request', 'conv must be a conversation id');
    if (parsed.kind === 'group') return this.d.groups.membersForRead(parsed.groupId, userId);
    if (parsed.a !== userId && parsed.b !== userId) throw new ImError('forbidden', 'not a member of this conversation');
    return [parsed.a, parsed.b];
  }

  async history(userId: string, conv: string, range: { before?: number; after?: number; limit: number }) {
    await this.membersOf(conv, userId);
    const page = await this.d.storage.history(conv, range);
    return this.d.signMessage ? { ...page, messages: page.messages.map((m) => this.sign(m)) } : page;
  }

  /** Recall: the sender within the window, or a group owner/admin at any time. */
  async recall(userId: string, conv: string, seq: number): Promise<{ conv: string; seq: number }> {
    const members = await this.membersOf(conv, userId);
    const msg = await this.d.storage.getMessage(conv, seq);
    if (!msg) throw new ImError('not_found', `no message ${seq} in ${conv}`);
    if (msg.recalled) return { conv, seq };
    if (msg.kind === 'system') throw new ImError('forbidden', 'system messages cannot be recalled');
    const parsed = parseConvId(conv)!;
    const moderator = parsed.kind === 'group' && (await this.d.groups.isModerator(parsed.groupId, userId));
    if (!moderator) {
      if (msg.from !== userId) throw new ImError('forbidden', 'only the sender or a group owner/admin can recall');
      if (Date.now() - msg.ts > this.d.recallWindowMs) {
        throw new ImError('recall_window_passed', `messages can be recalled within ${this.d.recallWindowMs / 1000} s`);
      }
    }
    await this.d.storage.recall(conv, seq, userId, Date.now());
    this.d.bus.publish({ userIds: members, payload: JSON.stringify({ op: 'recalled', conv, seq, by: userId }) });
    await this.releaseMedia(conv, seq);
    return { conv, seq };
  }

  /**
   * Server-side recall (content safety): recalls the message whatever its age,
   * tells every member, and adds a `system` notice `{event: 'content_removed', seq}`.
   * Returns false when the message does not exist or was already recalled.
   */
  async removeContent(conv: string, seq: number): Promise<boolean> {
    const parsed = parseConvId(conv);
    if (!parsed) throw new ImError('bad_request', 'conv must be a conversation id');
    const msg = await this.d.storage.getMessage(conv, seq);
    if (!msg || msg.recalled) return false;
    const members = parsed.kind === 'group' ? await this.d.groups.allMembers(parsed.groupId) : [parsed.a, parsed.b];
    await this.d.storage.recall(conv, seq, SYSTEM_USER, Date.now());
    this.d.bus.publish({ userIds: members, payload: JSON.stringify({ op: 'recalled', conv, seq, by: SYSTEM_USER }) });
    await this.releaseMedia(conv, seq);
    await this.sendSystem(conv, members, { event: 'content_removed', seq }, SYSTEM_USER);
    return true;
  }

  /**
   * After a recall (here, or a storage-level one such as a user's erasure): drops the message's
   * media references and deletes the blobs no other message references. A failure only leaves a
   * blob behind (logged), never fails the recall.
   */
  async releaseMedia(conv: string, seq: number): Promise<void> {
    try {
      const unused = await this.d.storage.releaseMedia(conv, seq);
      if (unused.length > 0) await this.d.deleteMedia?.(unused);
    } catch (err) {
      this.d.logger.warn({ err, conv, seq }, 'releasing a recalled message’s media failed; its blob stays');
    }
  }

  /** Relays a typing notice to the other members who are online; never stored. */
  async typing(userId: string, to: string): Promise<void> {
    const target = parseTarget(to);
    if (!target || (target.kind === 'user' && target.userId === userId)) return;
    const conv = target.kind === 'user' ? directConvId(userId, target.userId) : groupConvId(target.groupId);
    const members = target.kind === 'user' ? [target.userId] : await this.membersOf(conv, userId);
    const others = members.filter((m) => m !== userId);
    if (others.length === 0) return;
    this.d.bus.publish({ userIds: others, payload: JSON.stringify({ op: 'typing', conv, user: userId }) });
  }

  async requireUser(id: string): Promise<void> {
    if (this.knownUsers.has(id)) return;
    if (!(await this.d.storage.getUser(id))) throw new ImError('not_found', `user ${id} not found`);
    if (this.knownUsers.size > 200_000) this.knownUsers.clear();
    this.knownUsers.add(id);
  }

  /** A message as handed to clients (media URLs re-signed when signed URLs are on). */
  sign(msg: Msg): Msg {
    return this.d.signMessage ? this.d.signMessage(msg) : msg;
  }

  /** Waits for queued commits (graceful shutdown). */
  flush(): Promise<void> {
    return this.committer.flush();
  }
}
