import { describe, expect, it } from 'vitest';
import { sampleMp4, samplePng } from '../support/media-samples.js';
import { startServer, type TestServer } from '../support/server.js';

async function upload(s: TestServer, token: string, data: Buffer, name: string, kind?: string) {
  const form = new FormData();
  if (kind) form.append('kind', kind);
  form.append('file', new Blob([new Uint8Array(data)]), name);
  const res = await fetch(`${s.url}/api/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

describe('media messages through the real server', () => {
  it('uploads an image, sends it as a message, and serves it with Range', async () => {
    const s = await startServer({ publicBaseUrl: 'http://127.0.0.1:1' });
    const ta = await s.login('alice');
    const b = await s.connect(await s.login('bob'));
    const up = await upload(s, ta, samplePng(40, 30), 'photo.png');
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ kind: 'image', mime: 'image/png', width: 40, height: 30 });
    expect(up.body.url).toMatch(/^http:\/\/127\.0\.0\.1:1\/media\//);
    const a = await s.connect(ta);
    const ack = await a.request({
      op: 'send',
      to: 'u:bob',
      clientMsgId: 'img1',
      kind: 'image',
      body: { url: up.body.url, width: up.body.width, height: up.body.height, size: up.body.size },
    });
    expect(ack.msg).toMatchObject({ kind: 'image', body: { url: up.body.url, width: 40, height: 30 } });
    expect((await b.waitFor((f) => f.op === 'msg')).msg.body.url).toBe(up.body.url);
    // Signed by default (a secret generated into the data dir): the link carries exp and sig.
    const link = new URL(up.body.url);
    expect(link.searchParams.get('sig')).toBeTruthy();
    const ranged = await fetch(`${s.url}${link.pathname}${link.search}`, { headers: { range: 'bytes=0-7' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(samplePng(40, 30).subarray(0, 8));
  });

  it('rejects foreign URLs, wrong content and unauthenticated uploads with the contract codes', async () => {
    const s = await startServer({ publicBaseUrl: 'http://127.0.0.1:1', mediaAllowHosts: ['cdn.example.com'] });
    const ta = await s.login('alice');
    await s.login('bob');
    const send = (body: Record<string, unknown>, kind = 'image') =>
      s.http('POST', '/api/messages', { token: ta, body: { to: 'u:bob', clientMsgId: `${Math.random()}`, kind, body } });
    expect((await send({ url: 'https://evil.example/x.png' })).body.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/body\.url/) });
    expect((await send({ url: 'https://cdn.example.com/x.png' })).status).toBe(200);
    expect((await send({ url: 'https://cdn.example.com/v.mp4', cover: 'https://evil.example/c.jpg' }, 'video')).body.error.message).toMatch(/body\.cover/);
    const wrong = await upload(s, ta, Buffer.from('definitely not a png'), 'x.png', 'image');
    expect(wrong.status).toBe(415);
    expect(wrong.body.error.code).toBe('unsupported_media');
    const anon = await fetch(`${s.url}/api/media`, { method: 'POST', body: new FormData() });
    expect(anon.status).toBe(401);
  });

  it('re-signs media URLs on read when signed URLs are on; an unsigned link is refused', async () => {
    const s = await startServer({ publicBaseUrl: 'http://127.0.0.1:1', mediaSignedUrlSecret: 's'.repeat(32), mediaSignedUrlTtlSec: 600 });
    const ta = await s.login('alice');
    const tb = await s.login('bob');
    const up = await upload(s, ta, sampleMp4(1500), 'clip.mp4');
    expect(up.body).toMatchObject({ kind: 'video', mime: 'video/mp4' });
    const canonical = up.body.url.split('?')[0];
    await s.http('POST', '/api/messages', { token: ta, body: { to: 'u:bob', clientMsgId: 'v1', kind: 'video', body: { url: up.body.url } } });
    const h = await s.http('GET', '/api/conversations/d:alice:bob/messages', { token: tb });
    const url = new URL(h.body.messages[0].body.url);
    expect(url.searchParams.get('sig')).toBeTruthy();
    expect((await fetch(`${s.url}${url.pathname}${url.search}`)).status).toBe(200);
    expect((await fetch(`${s.url}${new URL(canonical).pathname}`)).status).toBe(403);
    const convs = await s.http('GET', '/api/conversations', { token: tb });
    expect(convs.body.conversations[0].lastMessage.body.url).toContain('sig=');
  });
});
