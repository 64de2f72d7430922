/** userId → local sessions, plus presence watchers. Routing is by user id, never a scan of all sockets. */
import type { Session } from './session.js';

export class SessionRegistry {
  private readonly byUser = new Map<string, Set<Session>>();
  private readonly watchers = new Map<string, Set<Session>>();
  size = 0;

  /** Returns true when this is the user's first local session. */
  add(s: Session): boolean {
    let set = this.byUser.get(s.userId);
    const first = !set;
    if (!set) {
      set = new Set();
      this.byUser.set(s.userId, set);
    }
    set.add(s);
    this.size++;
    return first;
  }

  /** Returns true when this was the user's last local session. */
  remove(s: Session): boolean {
    for (const w of s.watching) this.unwatch(s, w);
    const set = this.byUser.get(s.userId);
    if (!set?.delete(s)) return false;
    this.size--;
    if (set.size === 0) {
      this.byUser.delete(s.userId);
      return true;
    }
    return false;
  }

  /** Distinct users with a session here. */
  get users(): number {
    return this.byUser.size;
  }

  sessionsOf(userId: string): Set<Session> | undefined {
    return this.byUser.get(userId);
  }

  watch(s: Session, userId: string): void {
    if (s.watching.has(userId)) return;
    s.watching.add(userId);
    let set = this.watchers.get(userId);
    if (!set) {
      set = new Set();
      this.watchers.set(userId, set);
    }
    set.add(s);
  }

  unwatch(s: Session, userId: string): void {
    s.watching.delete(userId);
    const set = this.watchers.get(userId);
    if (set?.delete(s) && set.size === 0) this.watchers.delete(userId);
  }

  watchersOf(userId: string): Set<Session> | undefined {
    return this.watchers.get(userId);
  }

  *all(): IterableIterator<Session> {
    for (const set of this.byUser.values()) yield* set;
  }
}
