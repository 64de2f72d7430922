/**
 * Users and their profiles: lookups, the own profile, profile changes (nickname
 * checked by the content-safety hook) and the user record a login creates.
 * Transport-free: HTTP routes and the auth service call it.
 */
import { ImError, type User, validateProfilePatch } from '@miniim/protocol';
import type { StoredUser, UserRepo } from '../storage/storage.js';

/** A profile as every client sees it. */
export function publicUser(u: StoredUser): User {
  return { id: u.id, nickname: u.nickname, avatarUrl: u.avatarUrl };
}

/** The profile of a token's own user; unauthorized when that user no longer exists. */
export function ownProfile(user: StoredUser | undefined): User {
  if (!user) throw new ImError('unauthorized', 'unknown user');
  return publicUser(user);
}

export interface UserServiceDeps {
  users: UserRepo;
  /** Content-safety check of a new nickname; throws content_rejected / unavailable. */
  checkNickname?: (nickname: string, userId: string) => Promise<void>;
  /** The avatar URL to store (the media feature signs its own links so they do not expire). */
  avatarLink?: (url: string) => string;
}

export class UserService {
  constructor(private readonly d: UserServiceDeps) {}

  /** Another user's profile; not_found when there is no such user. */
  async get(id: string): Promise<User> {
    const user = await this.d.users.getUser(id);
    if (!user) throw new ImError('not_found', `user ${id} not found`);
    return publicUser(user);
  }

  /** The profiles of the ids that exist, in the order asked. */
  async getMany(ids: readonly string[]): Promise<User[]> {
    const found = await this.d.users.getUsers(ids);
    return ids.flatMap((id) => {
      const u = found.get(id);
      return u ? [publicUser(u)] : [];
    });
  }

  /** The caller's own profile; unauthorized when the token's user no longer exists. */
  async me(userId: string): Promise<User> {
    return ownProfile(await this.d.users.getUser(userId));
  }

  /** Validates and applies a profile patch (`{nickname?, avatarUrl?}`) of the caller. */
  async updateProfile(userId: string, body: unknown): Promise<User> {
    const patch = validateProfilePatch(body);
    if (patch.nickname !== undefined && this.d.checkNickname) await this.d.checkNickname(patch.nickname, userId);
    const user = await this.d.users.updateProfile(userId, this.withAvatarLink(patch));
    if (!user) throw new ImError('unauthorized', 'unknown user');
    return publicUser(user);
  }

  /**
   * The user record of a login: created on the first login (with `defaultNickname`
   * when the profile has none), the given profile fields applied on later ones.
   */
  async upsertOnLogin(userId: string, profile: { nickname?: string; avatarUrl?: string }, defaultNickname?: string): Promise<User> {
    let fields = this.withAvatarLink(profile);
    if (defaultNickname !== undefined && profile.nickname === undefined && !(await this.d.users.getUser(userId))) {
      fields = { ...profile, nickname: defaultNickname };
    }
    return publicUser(await this.d.users.upsertUser(userId, fields));
  }

  private withAvatarLink<T extends { avatarUrl?: string }>(profile: T): T {
    return profile.avatarUrl && this.d.avatarLink ? { ...profile, avatarUrl: this.d.avatarLink(profile.avatarUrl) } : profile;
  }
}
