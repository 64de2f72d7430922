/** The SDK's profile store against a real server: batch lookups, unknown ids, member lists. */
import { describe, expect, it } from 'vitest';
import { ProfileStore } from '../src/profiles.js';
import { makeClient } from './support/clients.js';
import { startServer } from './support/server.js';

describe('ProfileStore', () => {
  it('names users it has no chat with in one batched request, remembers unknown ids, and follows renames', async () => {
    const s = await startServer();
    for (const [id, nick] of [
      ['bob', '鲍勃'],
      ['carol', '卡罗尔'],
    ])
      await s.login(id, nick);
    const alice = await makeClient(s, 'alice');
    const calls: string[][] = [];
    const profiles = new ProfileStore({
      users: (ids) => {
        calls.push(ids);
        return alice.api.users(ids);
      },
      groupMembers: (id, o) => alice.api.groupMembers(id, o),
    });
    const changes: string[][] = [];
    profiles.on('change', (ids) => changes.push(ids));
    expect(profiles.name('bob')).toBe('bob');
    // Two overlapping loads at once share the request.
    await Promise.all([profiles.load(['bob', 'carol', 'ghost']), profiles.load(['bob'])]);
    expect(calls).toEqual([['bob', 'carol', 'ghost']]);
    expect(profiles.name('bob')).toBe('鲍勃');
    expect(profiles.get('carol')).toEqual({ id: 'carol', nickname: '卡罗尔', avatarUrl: '' });
    expect(profiles.isUnknown('ghost')).toBe(true);
    expect(changes).toEqual([['bob', 'carol']]);
    // Cached and unknown ids are not asked again; a forced load is.
    await profiles.load(['bob', 'ghost']);
    expect(calls).toHaveLength(1);
    await s.http('PATCH', '/api/me', { token: await s.login('bob', '鲍勃'), body: { nickname: '小鲍' } });
    await profiles.load(['bob'], true);
    expect(profiles.name('bob')).toBe('小鲍');
    expect(changes.at(-1)).toEqual(['bob']);
  });

  it('splits large lookups into batches the server accepts and reads every member page', async () => {
    const s = await startServer();
    const ids = Array.from({ length: 130 }, (_, i) => `u${i}`);
    for (const id of ids) await s.http('POST', '/api/auth/dev', { body: { userId: id, nickname: `用户${id}` } });
    const owner = await makeClient(s, 'owner');
    const profiles = new ProfileStore(owner.api);
    await profiles.load(ids);
    expect(ids.every((id) => profiles.name(id) === `用户${id}`)).toBe(true);

    const g = await owner.createGroup('大群', ids);
    const fresh = new ProfileStore({ users: (x) => owner.api.users(x), groupMembers: (id, o) => owner.api.groupMembers(id, { ...o, limit: 50 }) });
    const members = await fresh.members(g.id);
    expect(members).toHaveLength(131);
    expect(fresh.cachedMembers(g.id)).toBe(members);
    expect(fresh.name('u129')).toBe('用户u129');
    expect(fresh.name('owner')).toBe('owner');
  });
});
