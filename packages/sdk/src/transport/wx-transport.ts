/// <reference types="miniprogram-api-typings" />
import type { SocketHandlers, Transport, TransportSocket } from './transport.js';

/** The part of the `wx` global the socket transport needs. */
export type WxSocketApi = Pick<WechatMiniprogram.Wx, 'connectSocket'>;

function errMsg(res: unknown): string {
  if (res && typeof res === 'object' && typeof (res as { errMsg?: unknown }).errMsg === 'string') {
    return (res as { errMsg: string }).errMsg;
  }
  return 'socket error';
}

/**
 * Transport over the mini-program `SocketTask` (`wx.connectSocket`). The token goes in
 * the `Authorization` header. Mini-program quirks handled here: `connectSocket` may fail
 * through its `fail` callback instead of the task, a close may be reported by `onError`
 * only, and an interrupted socket says so in `errMsg` ("interrupted").
 */
export class WxSocketTransport implements Transport {
  readonly name = 'wx';
  constructor(private readonly wxApi: WxSocketApi) {}

  open(url: string, token: string, handlers: SocketHandlers): TransportSocket {
    let live = true;
    const finish = (code: number, reason: string) => {
      if (!live) return;
      live = false;
      handlers.onClose(code, reason);
    };
    const task = this.wxApi.connectSocket({
      url,
      header: { Authorization: `Bearer ${token}` },
      fail: (res) => {
        if (!live) return;
        handlers.onError(errMsg(res));
        finish(1006, errMsg(res));
      },
    });
    task.onOpen(() => {
      if (live) handlers.onOpen();
    });
    task.onMessage((res) => {
      if (!live) return;
      const data = res.data;
      // The server only sends text frames; a binary frame is not part of the contract.
      if (typeof data === 'string') handlers.onMessage(data);
    });
    task.onError((res) => {
      if (!live) return;
      const text = errMsg(res);
      handlers.onError(text);
      // "interrupted" (app went to background) means the socket is gone even if onClose never fires.
      if (/interrupted/i.test(text)) finish(1006, 'interrupted');
    });
    task.onClose((res) => finish(res.code || 1006, res.reason || ''));
    return {
      send: (data) => task.send({ data }),
      close: (code = 1000, reason = '') => {
        if (!live) {
          // still ask the runtime to free the socket (the 5-socket limit counts it)
          try {
            task.close({ code, reason });
          } catch {}
          return;
        }
        live = false;
        try {
          task.close({ code, reason });
        } catch {
          // a task that never opened may refuse close(); it is dropped either way
        }
      },
    };
  }
}
