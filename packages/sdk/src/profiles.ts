import type { GroupMember, User } from '@miniim/protocol';
import { Emitter } from './emitter.js';

/** What the profile store needs from the HTTP API (`ApiClient` has both). */
export interface ProfileSource {
  users(ids: string[]): Promise<{ users: User[] }>;
  groupMembers(id: string, opts?: { cursor?: string; limit?: number }): Promise<{ members: GroupMember[]; nextCursor?: string }>;
}

export interface ProfileEvents {
  /** Profiles that were added or changed (ids). */
  change: string[];
}

/** Ids per `GET /api/users?ids=` request (the server's bound). */
const BATCH = 100;
/** Member list page size. */
const MEMBER_PAGE = 500;

/**
 * A small cache of user profiles (nickname, avatar) and group member lists, so a client
 * can name group members it has no direct chat with. Fed by conversation peers, member
 * lists and batch lookups (`GET /api/users?ids=`); ids the server does not know are
 * remembered as unknown and not asked again.
 */
export class ProfileStore extends Emitter<ProfileEvents> {
  private readonly users = new Map<string, User>();
  private readonly unknown = new Set<string>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly groups = new Map<string, GroupMember[]>();

  constructor(private readonly source: ProfileSource) {
    super();
  }

  /** The cached profile, if any. */
  get(id: string): User | undefined {
    return this.users.get(id);
  }

  /** The display name: nickname, else the id. */
  name(id: string): string {
    return this.users.get(id)?.nickname || id;
  }

  /** Whether a lookup found no such user. */
  isUnknown(id: string): boolean {
    return this.unknown.has(id);
  }

  /** Adds or updates profiles (from conversation peers, logins, member lists); emits `change`. */
  remember(users: Iterable<User | undefined>): void {
    const changed: string[] = [];
    for (const u of users) {
      if (!u?.id) continue;
      const held = this.users.get(u.id);
      const next: User = { id: u.id, nickname: u.nickname ?? '', avatarUrl: u.avatarUrl ?? '' };
      this.unknown.delete(u.id);
      if (held && held.nickname === next.nickname && held.avatarUrl === next.avatarUrl) continue;
      this.users.set(u.id, next);
      changed.push(u.id);
    }
    if (changed.length) this.emit('change', changed);
  }

  /**
   * Fetches the profiles of `ids` that are neither cached nor known to be missing
   * (batched, one request per id at a time). `force` asks again for cached ones.
   * Resolves when they are in; a failed request leaves them to be asked again later.
   */
  async load(ids: Iterable<string>, force = false): Promise<void> {
    const waits: Promise<void>[] = [];
    const todo: string[] = [];
    for (const id of new Set(ids)) {
      const pending = this.inflight.get(id);
      if (pending) waits.push(pending);
      else if (force || (!this.users.has(id) && !this.unknown.has(id))) todo.push(id);
    }
    for (let i = 0; i < todo.length; i += BATCH) {
      const chunk = todo.slice(i, i + BATCH);
      const p = this.source
        .users(chunk)
        .then((r) => {
          this.remember(r.users);
          const found = new Set(r.users.map((u) => u.id));
          for (const id of chunk) if (!found.has(id)) this.unknown.add(id);
        })
        .finally(() => {
          for (const id of chunk) this.inflight.delete(id);
        });
      for (const id of chunk) this.inflight.set(id, p);
      waits.push(p);
    }
    await Promise.all(waits);
  }

  /** The member list of a group as last fetched, if it was. */
  cachedMembers(groupId: string): GroupMember[] | undefined {
    return this.groups.get(groupId);
  }

  /** Fetches every page of a group's members (with their profiles) and caches the list. */
  async members(groupId: string): Promise<GroupMember[]> {
    const all: GroupMember[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.source.groupMembers(groupId, cursor ? { cursor, limit: MEMBER_PAGE } : { limit: MEMBER_PAGE });
      all.push(...page.members);
      cursor = page.nextCursor;
    } while (cursor);
    this.groups.set(groupId, all);
    this.remember(all.filter((m) => m.nickname !== undefined).map((m) => ({ id: m.userId, nickname: m.nickname ?? '', avatarUrl: m.avatarUrl ?? '' })));
    return all;
  }

  /** Forgets everything (account switch). */
  clear(): void {
    this.users.clear();
    this.unknown.clear();
    this.groups.clear();
  }
}
