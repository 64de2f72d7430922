/** A `ws` WebSocket wrapper that lets a test break the connection or drop frames. */
import WebSocket from 'ws';
import type { WebSocketConstructor, WebSocketLike } from '../../src/transport/websocket-transport.js';

export interface WsControl {
  /** Every socket created, newest last. */
  sockets: ControlledSocket[];
  /** Incoming frames for which this returns true are swallowed (simulates lost acks). */
  dropIncoming: ((frame: any) => boolean) | undefined;
  /** Outgoing frames seen, parsed. */
  outgoing: any[];
  /** Outgoing ops with the index of the socket they went out on (`"0:send"`). */
  sentOn: string[];
  WebSocket: WebSocketConstructor;
  /** Sockets that were open at the same time, at most. */
  maxOpen: number;
}

export interface ControlledSocket extends WebSocketLike {
  /** Abrupt network loss (no close handshake). */
  terminate(): void;
}

export function controlledWebSocket(): WsControl {
  const ctl: WsControl = {
    sockets: [],
    dropIncoming: undefined,
    outgoing: [],
    sentOn: [],
    WebSocket: undefined as never,
    maxOpen: 0,
  };
  class Controlled extends WebSocket {
    constructor(url: string) {
      super(url);
      ctl.sockets.push(this as unknown as ControlledSocket);
      const open = ctl.sockets.filter((s) => s.readyState <= 1).length;
      ctl.maxOpen = Math.max(ctl.maxOpen, open);
      this.on('message', () => {});
    }
    override send(data: any): void {
      try {
        const frame = JSON.parse(String(data));
        ctl.outgoing.push(frame);
        ctl.sentOn.push(`${ctl.sockets.indexOf(this as unknown as ControlledSocket)}:${frame.op}`);
      } catch {}
      super.send(data);
    }
  }
  // Intercept onmessage assignment to filter frames.
  const proto = Controlled.prototype as any;
  const desc = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(proto, 'onmessage', {
    get() {
      return desc?.get?.call(this);
    },
    set(fn: ((ev: { data: unknown }) => void) | null) {
      if (!fn) return desc?.set?.call(this, null);
      desc?.set?.call(this, (ev: { data: unknown }) => {
        if (ctl.dropIncoming) {
          try {
            if (ctl.dropIncoming(JSON.parse(String(ev.data)))) return;
          } catch {}
        }
        fn(ev);
      });
    },
  });
  ctl.WebSocket = Controlled as unknown as WebSocketConstructor;
  return ctl;
}
