/**
 * Media access (issue 14 item 5): read links are signed by default (a secret generated into
 * the data dir in development, 0600; required in production), and recalling or removing a
 * message deletes its blob unless another message still references it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { samplePng } from '../support/media-samples.js';
import { startServer, type TestServer, tempDir } from '../support/server.js';
import { sqliteAt } from '../support/sqlite-at.js';

async function uploadPng(s: TestServer, token: string, seed: number): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(samplePng(10 + seed, 10))]), 'p.png');
  const res = await fetch(`${s.url}/api/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(res.status).toBe(200);
  return ((await res.json()) as { url: string }).url;
}

/** Status of GET on the link as handed out (signed), and whether the blob file is on disk. */
async function served(s: TestServer, url: string): Promise<{ status: number; onDisk: boolean }> {
  const u = new URL(url, s.url);
  const key = u.pathname.split('/').pop()!;
  const status = (await fetch(`${s.url}${u.pathname}${u.search}`)).status;
  return { status, onDisk: existsSync(path.join(s.dataDir, 'media', key.slice(0, 2), key)) };
}

describe('media links and recall', () => {
  it('signs media links by default with a secret generated into the data dir (0600); an unsigned link is refused', async () => {
    const s = await startServer();
    const secretFile = path.join(s.dataDir, '.media-url-secret');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(secretFile, 'utf8').length).toBeGreaterThanOrEqual(32);
    const url = await uploadPng(s, await s.login('alice'), 1);
    const link = new URL(url, s.url);
    expect(link.searchParams.get('exp')).toMatch(/^\d+$/);
    expect((await served(s, url)).status).toBe(200);
    expect((await fetch(`${s.url}${link.pathname}`)).status).toBe(403);
    link.searchParams.set('sig', 'A'.repeat(22));
    expect((await fetch(`${s.url}${link.pathname}${link.search}`)).status).toBe(403);
  });

  it('stores an uploaded avatar (user or group) with a link that does not expire, so it still shows after the TTL', async () => {
    const s = await startServer({ mediaSignedUrlTtlSec: 60 });
    const ta = await s.login('alice');
    await s.login('bob');
    const url = await uploadPng(s, ta, 4);
    const me = await s.http('PATCH', '/api/me', { token: ta, body: { avatarUrl: url } });
    expect(me.status).toBe(200);
    const stored = new URL((await s.http('GET', '/api/users/alice', { token: ta })).body.avatarUrl, s.url);
    expect(stored.searchParams.get('exp')).toBe('253402300799');
    expect((await served(s, stored.href)).status).toBe(200);
    const g = await s.http('POST', '/api/groups', { token: ta, body: { name: 'g', members: ['bob'], avatarUrl: url } });
    expect(new URL(g.body.avatarUrl, s.url).searchParams.get('exp')).toBe('253402300799');
  });

  it('refuses to start in production without a media link secret (unless links point at a public S3/CDN base)', () => {
    const prod = { NODE_ENV: 'production', MINIIM_TOKEN_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(prod)).toThrow(/^invalid config MINIIM_MEDIA_SIGNED_URL_SECRET: required when NODE_ENV=production/);
    expect(loadConfig({ ...prod, MINIIM_MEDIA_SIGNED_URL_SECRET: 'm'.repeat(32) }).production).toBe(true);
    const s3 = { MINIIM_MEDIA_STORE: 's3', MINIIM_S3_BUCKET: 'b', MINIIM_S3_ACCESS_KEY_ID: 'k', MINIIM_S3_SECRET_ACCESS_KEY: 's' };
    expect(loadConfig({ ...prod, ...s3, MINIIM_S3_PUBLIC_URL: 'https://cdn.example.com' }).production).toBe(true);
    expect(() => loadConfig({ ...prod, ...s3 })).toThrow(/MINIIM_MEDIA_SIGNED_URL_SECRET/);
  });

  it('deletes a recalled message’s blob once no other message references it (forwarded copies keep it)', async () => {
    const s = await startServer();
    const ta = await s.login('alice');
    const tb = await s.login('bob');
    await s.login('carol');
    const url = await uploadPng(s, ta, 2);
    const other = await uploadPng(s, ta, 3);
    const send = async (token: string, to: string, id: string, body: Record<string, unknown>) => {
      const r = await s.http('POST', '/api/messages', { token, body: { to, clientMsgId: id, kind: 'image', body } });
      expect(r.status).toBe(200);
      return r.body.msg as { conv: string; seq: number; body: { url: string } };
    };
    const original = await send(ta, 'u:bob', 'a1', { url });
    // Bob forwards it (the link as he received it) to carol; alice sends another image.
    const forwarded = await send(tb, 'u:carol', 'b1', { url: original.body.url });
    const unrelated = await send(ta, 'u:bob', 'a2', { url: other });
    const sockets = { [ta]: await s.connect(ta), [tb]: await s.connect(tb) };
    const recall = async (token: string, m: { conv: string; seq: number }) => (await sockets[token]!.request({ op: 'recall', conv: m.conv, seq: m.seq })).op;

    expect(await recall(ta, original)).toBe('ack');
    expect(await served(s, forwarded.body.url)).toEqual({ status: 200, onDisk: true });
    expect(await recall(tb, forwarded)).toBe('ack');
    expect(await served(s, forwarded.body.url)).toEqual({ status: 404, onDisk: false });
    expect(await served(s, unrelated.body.url)).toEqual({ status: 200, onDisk: true });
    // A second recall of the same message is a no-op, not an error.
    expect(await recall(tb, forwarded)).toBe('ack');

    // Content removal (the moderation path) deletes the blob as well.
    expect(await s.server.messages.removeContent(unrelated.conv, unrelated.seq)).toBe(true);
    expect(await served(s, unrelated.body.url)).toEqual({ status: 404, onDisk: false });
  });

  it('erasing a user (admin API) deletes the media of their messages', async () => {
    const admin = 'a'.repeat(32);
    const s = await startServer({ adminToken: admin });
    const ta = await s.login('alice');
    await s.login('bob');
    const url = await uploadPng(s, ta, 5);
    const sent = await s.http('POST', '/api/messages', { token: ta, body: { to: 'u:bob', clientMsgId: 'e1', kind: 'image', body: { url } } });
    expect(await served(s, sent.body.msg.body.url)).toEqual({ status: 200, onDisk: true });
    expect((await s.http('DELETE', '/api/admin/users/alice', { token: admin })).status).toBe(200);
    expect(await served(s, sent.body.msg.body.url)).toEqual({ status: 404, onDisk: false });
  });

  it('knows the references of media messages stored before references were tracked (migration backfill)', async () => {
    const file = path.join(tempDir(), 'old.db');
    const { db, close } = await sqliteAt(file, '0004_wechat_retry_phone');
    const key = (c: string) => `${c.repeat(24)}.png`;
    const insert = db.prepare('INSERT INTO messages (conv, seq, id, from_user, kind, body, ts, recalled_by) VALUES (?, ?, ?, ?, ?, ?, 1, ?)');
    insert.run('d:a:b', 1, 'm1', 'a', 'image', JSON.stringify({ url: `/media/${key('A')}` }), null);
    insert.run('d:a:b', 2, 'm2', 'b', 'video', JSON.stringify({ url: `https://im.example.com/media/${key('B')}`, cover: `/media/${key('A')}` }), null);
    insert.run('d:a:b', 3, 'm3', 'a', 'text', JSON.stringify({ text: `/media/${key('C')}` }), null);
    insert.run('d:a:b', 4, 'm4', 'a', 'image', '{}', 'a');
    await close();
    const storage = await openSqliteStorage(file);
    try {
      expect(await storage.releaseMedia('d:a:b', 3)).toEqual([]);
      expect(await storage.releaseMedia('d:a:b', 1)).toEqual([]); // the video's cover still uses A
      expect((await storage.releaseMedia('d:a:b', 2)).sort()).toEqual([key('A'), key('B')]);
    } finally {
      await storage.close();
    }
  });
});
