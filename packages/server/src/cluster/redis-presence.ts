/**
 * Presence shared through Redis, with expiring node heartbeats so a crashed node's users
 * read offline within the TTL.
 *
 * Keys (under the prefix):
 *   node:<nodeId>  a live node's heartbeat (expires after the TTL)
 *   nodes          every node id that has not been reaped yet
 *   nu:<nodeId>    the users with a session on that node
 *   u:<userId>     the nodes where that user has a session
 * A user is online when one of the nodes in u:<userId> is live. A node that finds another
 * node's heartbeat gone reaps it (one reaper, by a lock): removes it from its users' sets
 * and announces offline for users left on no live node.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export interface RedisPresenceOptions {
  redis: Redis;
  prefix: string;
  nodeId: string;
  ttlMs: number;
  logger: Logger;
  /** A user's first session on any node opened (true) or last one closed (false). */
  announce: (userId: string, online: boolean) => void;
  /** A Redis command failed (the bus decides what that means). */
  failed: (err: Error) => void;
}

export class RedisPresence {
  /** Users with a session on this node (the source of truth for this node's share). */
  private readonly local = new Set<string>();
  /** Nodes found dead at the last heartbeat (their entries in u:<id> do not count). */
  private dead = new Set<string>();

  constructor(private readonly o: RedisPresenceOptions) {}

  private key(k: string): string {
    return this.o.prefix + k;
  }

  setLocal(userId: string, online: boolean): void {
    if (online === this.local.has(userId)) return;
    if (online) this.local.add(userId);
    else this.local.delete(userId);
    this.pending.push({ userId, online });
    if (this.pending.length === 1) setImmediate(() => void this.flush().catch((err: Error) => this.o.failed(err)));
  }

  /** Changes of this node's share waiting for the next write (in order). */
  private pending: Array<{ userId: string; online: boolean }> = [];

  /**
   * Writes the changes queued since the last write in one MULTI: a reconnect crowd of thousands of
   * sockets costs one round trip (and one write to the socket) per turn of the event loop instead of
   * one per socket. Each user's steps run in queue order, as one transaction each did before.
   */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const me = this.o.nodeId;
    const nodeUsers = this.key(`nu:${me}`);
    const m = this.o.redis.multi();
    for (const { userId, online } of batch) {
      const uKey = this.key(`u:${userId}`);
      if (online) m.smembers(uKey).sadd(uKey, me).sadd(nodeUsers, userId);
      else m.srem(uKey, me).srem(nodeUsers, userId).smembers(uKey);
    }
    const res = await m.exec();
    batch.forEach(({ userId, online }, i) => {
      // Three replies per change: SMEMBERS first when coming online, last when going offline.
      const members = (res?.[3 * i + (online ? 0 : 2)]?.[1] as string[] | undefined) ?? [];
      if (online) {
        if (!members.some((n) => n !== me && !this.dead.has(n))) this.o.announce(userId, true);
      } else if (!members.some((n) => !this.dead.has(n))) this.o.announce(userId, false);
    });
  }

  async isOnline(userIds: readonly string[]): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    const ask: string[] = [];
    for (const id of userIds) {
      if (this.local.has(id)) out.set(id, true);
      else ask.push(id);
    }
    if (ask.length === 0) return out;
    try {
      const p = this.o.redis.pipeline();
      for (const id of ask) p.smembers(this.key(`u:${id}`));
      const res = (await p.exec()) ?? [];
      ask.forEach((id, i) => {
        const nodes = (res[i]?.[1] as string[] | undefined) ?? [];
        out.set(
          id,
          nodes.some((n) => !this.dead.has(n)),
        );
      });
    } catch (err) {
      // Redis away: this node can only speak for its own sockets.
      this.o.failed(err as Error);
      for (const id of ask) out.set(id, false);
    }
    return out;
  }

  /** Renews this node's heartbeat and reaps nodes whose heartbeat expired. */
  async heartbeat(): Promise<void> {
    const r = this.o.redis;
    const me = this.o.nodeId;
    const res = await r
      .multi()
      .set(this.key(`node:${me}`), '1', 'PX', this.o.ttlMs)
      .sadd(this.key('nodes'), me)
      .smembers(this.key('nodes'))
      .exec();
    // Our node was missing from the set: Redis lost its data (restart without persistence).
    if (res?.[1]?.[1] === 1 && this.local.size > 0) await this.reassert();
    const others = ((res?.[2]?.[1] as string[] | undefined) ?? []).filter((n) => n !== me);
    if (others.length === 0) {
      this.dead = new Set();
      return;
    }
    const p = r.pipeline();
    for (const n of others) p.exists(this.key(`node:${n}`));
    const alive = (await p.exec()) ?? [];
    const dead = others.filter((_, i) => alive[i]?.[1] === 0);
    this.dead = new Set(dead);
    for (const n of dead) await this.reap(n);
  }

  private async reap(node: string): Promise<void> {
    const r = this.o.redis;
    const got = await r.set(this.key(`reap:${node}`), this.o.nodeId, 'PX', this.o.ttlMs, 'NX');
    if (got !== 'OK') return;
    const users = await r.smembers(this.key(`nu:${node}`));
    this.o.logger.info({ node, users: users.length }, 'cluster: a node stopped heartbeating; its users are offline there');
    for (const userId of users) {
      const uKey = this.key(`u:${userId}`);
      const res = await r.multi().srem(uKey, node).smembers(uKey).exec();
      const left = (res?.[1]?.[1] as string[] | undefined) ?? [];
      if (!left.some((n) => !this.dead.has(n))) this.o.announce(userId, false);
    }
    await r
      .multi()
      .del(this.key(`nu:${node}`))
      .srem(this.key('nodes'), node)
      .exec();
  }

  /** Writes this node's share again (after Redis lost or missed it). */
  async reassert(): Promise<void> {
    const r = this.o.redis;
    const me = this.o.nodeId;
    const nuKey = this.key(`nu:${me}`);
    const before = await r.smembers(nuKey);
    const m = r.multi();
    for (const u of before) if (!this.local.has(u)) m.srem(this.key(`u:${u}`), me);
    m.del(nuKey);
    if (this.local.size > 0) m.sadd(nuKey, ...this.local);
    for (const u of this.local) m.sadd(this.key(`u:${u}`), me);
    m.set(this.key(`node:${me}`), '1', 'PX', this.o.ttlMs).sadd(this.key('nodes'), me);
    await m.exec();
  }

  /** A clean stop: this node's share is removed at once rather than after the TTL. */
  async leave(): Promise<void> {
    const r = this.o.redis;
    const me = this.o.nodeId;
    const m = r.multi();
    for (const u of this.local) m.srem(this.key(`u:${u}`), me);
    m.del(this.key(`nu:${me}`))
      .del(this.key(`node:${me}`))
      .srem(this.key('nodes'), me);
    await m.exec();
  }
}
