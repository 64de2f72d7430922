/** Creates SDK clients (web entry, Node `ws` transport) for tests, disconnected after the test. */
import WebSocket from 'ws';
import type { WebSocketConstructor } from '../../src/transport/websocket-transport.js';
import { createWebClient, type ImClient } from '../../src/web/index.js';
import { onCleanup, type TestServer } from './server.js';

export interface ClientOpts {
  WebSocket?: WebSocketConstructor;
  getToken?: (ctx: { refresh: boolean }) => Promise<string | null> | string | null;
  backoff?: { baseMs?: number; maxMs?: number };
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  auth?: { token: string; expiresAt?: number };
  fetch?: typeof fetch;
  sendTimeoutMs?: number;
}

export async function makeClient(s: TestServer, userId: string, opts: ClientOpts = {}): Promise<ImClient> {
  const token = opts.getToken || opts.auth ? undefined : await s.login(userId);
  const client = createWebClient({
    baseUrl: s.baseUrl,
    WebSocket: opts.WebSocket ?? (WebSocket as unknown as WebSocketConstructor),
    ...(opts.auth ? { auth: opts.auth } : { getToken: opts.getToken ?? (() => token ?? null) }),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    userId,
    persistence: false,
    backoff: opts.backoff ?? { baseMs: 20, maxMs: 200 },
    heartbeat: opts.heartbeat,
    ...(opts.sendTimeoutMs ? { sendTimeoutMs: opts.sendTimeoutMs } : {}),
    lifecycle: false,
  });
  onCleanup(() => client.disconnect());
  return client;
}

/** Connects and waits for the first sync to finish. */
export async function connectSynced(client: ImClient): Promise<void> {
  const synced = new Promise<void>((resolve) => client.once('synced', () => resolve()));
  await client.connect();
  await synced;
}
