/** Creates SDK clients (web entry, Node `ws` transport) for tests, disconnected after the test. */
import WebSocket from 'ws';
import type { WebSocketConstructor } from '../../src/transport/websocket-transport.js';
import { createWebClient, type ImClient } from '../../src/web/index.js';
import { onCleanup, type TestServer } from './server.js';

export interface ClientOpts {
  WebSocket?: WebSocketConstructor;
  getToken?: (ctx: { refresh: boolean }) => Promise<string | null> | string | null;
  backoff?: { baseMs?: number; maxMs?: number };
  pingIntervalMs?: number;
  deadAfterMs?: number;
}

export async function makeClient(s: TestServer, userId: string, opts: ClientOpts = {}): Promise<ImClient> {
  const token = opts.getToken ? undefined : await s.login(userId);
  const client = createWebClient({
    baseUrl: s.baseUrl,
    WebSocket: opts.WebSocket ?? (WebSocket as unknown as WebSocketConstructor),
    getToken: opts.getToken ?? (() => token ?? null),
    userId,
    persistence: false,
    backoff: opts.backoff ?? { baseMs: 20, maxMs: 200 },
    pingIntervalMs: opts.pingIntervalMs,
    deadAfterMs: opts.deadAfterMs,
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
