import type { SocketHandlers, Transport, TransportSocket } from './transport.js';

/** The subset of the standard WebSocket API the SDK uses (browsers, Node ≥ 22, `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A constructor compatible with `WebSocket` (pass `ws`'s `WebSocket` in Node 20). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

function errorText(ev: unknown): string {
  if (ev && typeof ev === 'object') {
    const e = ev as { message?: unknown; error?: { message?: unknown } };
    if (typeof e.message === 'string') return e.message;
    if (e.error && typeof e.error.message === 'string') return e.error.message;
  }
  return 'websocket error';
}

/**
 * Transport over a standard WebSocket. Browsers cannot set headers, so the token
 * goes in `?token=`. An upgrade refused with HTTP 401 is reported as close 4401
 * where the runtime tells us the status (Node `ws` does; browsers hide it).
 */
export class WebSocketTransport implements Transport {
  readonly name = 'websocket';
  constructor(private readonly WebSocketImpl: WebSocketConstructor) {}

  open(url: string, token: string, handlers: SocketHandlers): TransportSocket {
    const sep = url.includes('?') ? '&' : '?';
    const ws = new this.WebSocketImpl(`${url}${sep}token=${encodeURIComponent(token)}`);
    let live = true;
    let closeReported = false;
    const reportClose = (code: number, reason: string) => {
      if (!live || closeReported) return;
      closeReported = true;
      live = false;
      handlers.onClose(code, reason);
    };
    ws.onopen = () => {
      if (live) handlers.onOpen();
    };
    ws.onmessage = (ev) => {
      if (!live) return;
      const data = ev.data;
      if (typeof data === 'string') handlers.onMessage(data);
      else if (data && typeof (data as { toString(): string }).toString === 'function') {
        handlers.onMessage(String(data));
      }
    };
    ws.onerror = (ev) => {
      if (!live) return;
      const text = errorText(ev);
      handlers.onError(text);
      const m = /Unexpected server response: (\d+)/.exec(text);
      if (m) reportClose(m[1] === '401' ? 4401 : m[1] === '403' ? 4403 : 1006, text);
    };
    ws.onclose = (ev) => reportClose(ev.code || 1006, ev.reason || '');
    return {
      send: (data) => ws.send(data),
      close: (code = 1000, reason = '') => {
        live = false;
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        // A fresh handler keeps `ws` from emitting an unhandled 'error' after we left.
        ws.onerror = () => {};
        try {
          ws.close(code, reason);
        } catch {
          // closing a socket that never opened may throw on some runtimes
        }
      },
    };
  }
}
