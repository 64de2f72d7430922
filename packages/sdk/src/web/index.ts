/**
 * `@miniim/sdk/web`: the client for browsers and Node (standard `WebSocket` + `fetch`).
 */
import { type ClientOptions, type EnvironmentTarget, ImClient } from '../client.js';
import { devLogin as coreDevLogin } from '../http.js';
import { type PersistenceAdapter, type StorageLike, webStoragePersistence } from '../persistence.js';
import { type WebSocketConstructor, WebSocketTransport } from '../transport/websocket-transport.js';
import { fetchHttp } from './fetch-http.js';

export * from '../index.js';
export {
  type WebSocketConstructor,
  type WebSocketLike,
  WebSocketTransport,
} from '../transport/websocket-transport.js';
export { fetchHttp } from './fetch-http.js';

/** Options of `createWebClient`: the core options minus what the platform supplies. */
export interface WebClientOptions extends Omit<ClientOptions, 'transport' | 'http' | 'persistence' | 'environment'> {
  /** WebSocket implementation (default: the global one; pass `ws`'s `WebSocket` in Node 20). */
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
  /** `'local'` (default in browsers) uses `localStorage`; `false` disables the cache. */
  persistence?: PersistenceAdapter | 'local' | false;
  /** Follow the browser's `online` / `offline` and `visibilitychange` events (default true where they exist). */
  lifecycle?: boolean;
}

interface BrowserGlobals {
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
  navigator?: { onLine?: boolean };
  document?: {
    visibilityState?: string;
    addEventListener(type: string, listener: () => void): void;
    removeEventListener(type: string, listener: () => void): void;
  };
}

/**
 * Hooks a client to the browser: `online` reconnects at once (backoff reset), `offline` shows
 * `offline`, a page coming back into view reconnects or probes the socket. No-op outside browsers.
 */
export function browserEnvironment(g: BrowserGlobals = globalThis as BrowserGlobals): (client: EnvironmentTarget) => () => void {
  return (client) => {
    if (typeof g.addEventListener !== 'function' || typeof g.removeEventListener !== 'function') return () => {};
    const online = () => client.networkChanged(true);
    const offline = () => client.networkChanged(false);
    const doc = g.document;
    const visibility = () => client.setForeground(doc?.visibilityState !== 'hidden');
    g.addEventListener('online', online);
    g.addEventListener('offline', offline);
    doc?.addEventListener('visibilitychange', visibility);
    if (g.navigator?.onLine === false) client.networkChanged(false);
    if (doc?.visibilityState === 'hidden') client.setForeground(false);
    return () => {
      g.removeEventListener?.('online', online);
      g.removeEventListener?.('offline', offline);
      doc?.removeEventListener('visibilitychange', visibility);
    };
  };
}

/** Creates a client wired to `WebSocket`, `fetch` and `localStorage`. */
export function createWebClient(options: WebClientOptions): ImClient {
  const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WS) throw new TypeError('createWebClient: no WebSocket implementation (pass options.WebSocket)');
  const storage = (globalThis as { localStorage?: StorageLike }).localStorage;
  const persistence =
    options.persistence === false
      ? undefined
      : options.persistence === 'local' || options.persistence === undefined
        ? storage
          ? webStoragePersistence(storage)
          : undefined
        : options.persistence;
  const { WebSocket: _ws, fetch: f, persistence: _p, lifecycle, ...rest } = options;
  return new ImClient({
    ...rest,
    transport: new WebSocketTransport(WS),
    http: fetchHttp(f),
    persistence,
    ...(lifecycle === false ? {} : { environment: browserEnvironment() }),
  });
}

/** Dev login over `fetch` (`POST /api/auth/dev`; only where the server enables it). */
export function devLogin(baseUrl: string, input: { userId: string; nickname?: string; avatarUrl?: string }, fetchImpl?: typeof fetch) {
  return coreDevLogin(fetchHttp(fetchImpl), baseUrl, input);
}
