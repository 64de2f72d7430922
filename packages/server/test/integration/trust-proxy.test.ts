import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { samplePng } from '../support/media-samples.js';
import { startServer, type TestServer } from '../support/server.js';

/** Uploads a PNG claiming to come through a proxy for `evil.example` over https; returns the URL handed back. */
async function uploadUrlVia(s: TestServer): Promise<string> {
  const token = await s.login('alice');
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(samplePng(4, 4))]), 'a.png');
  const res = await fetch(`${s.url}/api/media`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
    body: form,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { url: string }).url;
}

describe('forwarded headers (MINIIM_TRUST_PROXY)', () => {
  it('are ignored by default: anyone can send X-Forwarded-Host, the URL stays this server', async () => {
    const s = await startServer();
    expect(await uploadUrlVia(s)).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${s.port}/media/`));
  });

  it('are believed from a configured proxy address', async () => {
    const s = await startServer({ trustProxy: ['127.0.0.1'] });
    expect(await uploadUrlVia(s)).toMatch(/^https:\/\/evil\.example\/media\//);
  });

  it('are not believed from an address outside the configured ranges', async () => {
    const s = await startServer({ trustProxy: ['10.0.0.0/8'] });
    expect(await uploadUrlVia(s)).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${s.port}/media/`));
  });

  it('reads a comma-separated MINIIM_TRUST_PROXY', () => {
    expect(loadConfig({ MINIIM_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(loadConfig({}).trustProxy).toEqual([]);
  });
});
