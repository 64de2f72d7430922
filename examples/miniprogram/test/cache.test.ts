/**
 * The local message cache within WeChat's limits (issue 19 item 7): a heavy user's snapshot is
 * split per conversation, bounded per key, least recently used conversations dropped; it never
 * crosses 1 MB per key and never silently stops saving — and a restarted app shows it before sync.
 */
import type { ClientMessage, StoreSnapshot } from '@miniim/sdk/wx';
import { wxStoragePersistence } from '@miniim/sdk/wx';
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { MessageCache } from '../lib/message-cache.js';
import { ImSession } from '../lib/session.js';
import { AppFakeWx } from './support/app-fake-wx.js';
import { STORAGE_ITEM_LIMIT } from './support/strict-wx.js';

/** A heavy user: `convs` conversations of `perConv` messages of ~`textLen` characters. */
function heavySnapshot(convs: number, perConv: number, textLen: number, now = Date.now()): StoreSnapshot {
  return {
    v: 1,
    me: 'alice',
    convs: Array.from({ length: convs }, (_, c) => {
      const conv = `d:alice:u${String(c).padStart(4, '0')}`;
      const messages: ClientMessage[] = Array.from({ length: perConv }, (_, i) => ({
        id: `m${c}-${i}`,
        conv,
        seq: i + 1,
        from: i % 2 ? 'alice' : `u${c}`,
        kind: 'text',
        body: { text: `${'聊'.repeat(textLen)}${i}` },
        ts: now - (convs - c) * 60_000 + i,
        status: 'sent',
      }));
      return {
        info: {
          conv,
          kind: 'direct',
          lastSeq: perConv,
          readSeq: perConv,
          unread: 0,
          updatedAt: now - (convs - c) * 60_000,
          lastMessage: messages[perConv - 1],
        },
        messages,
        syncedSeq: perConv,
        hasMoreBefore: false,
      };
    }),
  } as StoreSnapshot;
}

const cacheKeys = (fake: AppFakeWx) => [...fake.storage.keys()].filter((k) => k.startsWith('miniim:cache:'));

describe('message cache', () => {
  it('the old single-key cache silently stops saving for a heavy user (what this replaces)', async () => {
    const fake = new AppFakeWx();
    const snap = JSON.stringify(heavySnapshot(200, 50, 60));
    expect(Buffer.byteLength(snap)).toBeGreaterThan(STORAGE_ITEM_LIMIT);
    await wxStoragePersistence(fake.app).save('miniim:cache:alice', snap);
    expect(fake.storage.has('miniim:cache:alice')).toBe(false); // refused, and nobody was told
    expect(fake.refused).toContain('setStorage:fail exceed storage item max length');
  });

  it('splits per conversation, bounds every key, drops the least recently used, and restores the rest', async () => {
    const fake = new AppFakeWx();
    const errors: string[] = [];
    const cache = new MessageCache(fake.app, { maxConversations: 40, maxKeyBytes: 64 * 1024, onError: (e) => errors.push(e) });
    const snap = heavySnapshot(200, 50, 500);
    cache.touch('d:alice:u0003'); // opened just now: kept although its last activity is old
    await cache.save('miniim:cache:alice', JSON.stringify(snap));
    expect(errors).toEqual([]);
    const keys = cacheKeys(fake);
    expect(keys.length).toBe(41); // index + 40 conversations
    for (const k of keys) expect(Buffer.byteLength(String(fake.storage.get(k)))).toBeLessThanOrEqual(64 * 1024);
    expect(fake.storageBytes).toBeLessThan(4 * 1024 * 1024 + 64 * 1024);
    expect(keys).toContain('miniim:cache:alice:c:d:alice:u0003');
    expect(keys).toContain('miniim:cache:alice:c:d:alice:u0199'); // most recent activity
    expect(keys).not.toContain('miniim:cache:alice:c:d:alice:u0000'); // least recently used: dropped

    const restored = JSON.parse(String(await new MessageCache(fake.app).load('miniim:cache:alice'))) as StoreSnapshot;
    expect(restored.convs).toHaveLength(40);
    const big = restored.convs.find((c) => c.info.conv === 'd:alice:u0199');
    // Bounded by bytes: the newest messages kept as a contiguous tail, older ones to be fetched again.
    expect(big?.messages.length).toBeLessThan(50);
    expect(big?.messages.at(-1)?.seq).toBe(50);
    expect(big?.hasMoreBefore).toBe(true);

    // Saving again only rewrites what changed; a conversation that dropped out is removed.
    const next = heavySnapshot(200, 50, 500, Date.now() + 3_600_000);
    next.convs[0].info.updatedAt = Date.now() + 10 * 3_600_000; // u0000 active again
    await cache.save('miniim:cache:alice', JSON.stringify(next));
    expect(cacheKeys(fake)).toContain('miniim:cache:alice:c:d:alice:u0000');
    expect(cacheKeys(fake).length).toBe(41);
  });

  it('when the app storage is nearly full it evicts and keeps saving; what cannot be saved is reported, not swallowed', async () => {
    const fake = new AppFakeWx();
    // Other data of the app fills 9.5 MB of the 10 MB.
    for (let i = 0; i < 10; i++) fake.app.setStorageSync(`other${i}`, 'z'.repeat(i < 9 ? 1000 * 1024 : 500 * 1024));
    const errors: string[] = [];
    const cache = new MessageCache(fake.app, { onError: (e) => errors.push(e) });
    await cache.save('miniim:cache:alice', JSON.stringify(heavySnapshot(60, 50, 200)));
    // Some conversations were saved (the most recent), the rest evicted to fit.
    const saved = cacheKeys(fake).filter((k) => k.includes(':c:'));
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThan(60);
    expect(saved).toContain('miniim:cache:alice:c:d:alice:u0059');
    expect(fake.storageBytes).toBeLessThanOrEqual(10 * 1024 * 1024);
    // Still saving afterwards: a later snapshot with a new message is written.
    const later = heavySnapshot(60, 50, 200);
    later.convs[59].messages.push({ ...later.convs[59].messages[49], id: 'new', seq: 51, body: { text: '最新' } });
    await cache.save('miniim:cache:alice', JSON.stringify(later));
    expect(String(fake.storage.get('miniim:cache:alice:c:d:alice:u0059'))).toContain('最新');
    // With no room at all, the problem is reported once.
    for (const k of cacheKeys(fake)) fake.storage.delete(k);
    fake.app.setStorageSync('other10', 'z'.repeat(735 * 1024));
    const cramped = new MessageCache(fake.app, { onError: (e) => errors.push(e) });
    await cramped.save('miniim:cache:alice', JSON.stringify(heavySnapshot(5, 50, 200)));
    expect(errors.some((e) => /exceed storage max size/.test(e))).toBe(true);
    expect(cramped.lastError).toMatch(/exceed/);
  });

  it('a restarted app shows the cached conversations before it syncs', async () => {
    const s = await startServer();
    const bobToken = await s.login('bob', '鲍勃');
    const fake = new AppFakeWx();
    const first = new ImSession({ wx: fake.app, baseUrl: s.baseUrl, clientOptions: { backoff: { baseMs: 20, maxMs: 200 } } });
    await first.loginDev('alice', '爱丽丝');
    await s.http('POST', '/api/messages', { token: bobToken, body: { to: 'u:alice', clientMsgId: 'c1', kind: 'text', body: { text: '缓存里的消息' } } });
    await until(() => first.need().conversations().length === 1, 'message in');
    await until(() => cacheKeys(fake).some((k) => k.includes(':c:d:alice:bob')), 'cached');
    first.client?.dispose();

    await s.stop(); // the app restarts while the server is unreachable
    const again = new ImSession({ wx: fake.app, baseUrl: s.baseUrl, clientOptions: { backoff: { baseMs: 20, maxMs: 200 } } });
    expect(again.restore()).toBe(true);
    await until(() => again.need().messages('d:alice:bob').length === 1, 'shown from the cache');
    expect((again.need().messages('d:alice:bob')[0].body as { text: string }).text).toBe('缓存里的消息');
    again.client?.dispose();
  });
});
