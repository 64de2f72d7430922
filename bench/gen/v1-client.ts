/** v1 protocol client over `ws` (MiniIM, raw relay and blog-style baselines). */
import WebSocket from 'ws';
import { type BenchClient, type ClientEvents, type ClientSpec, RemoteError, type WireMsg } from './bench-client.js';

interface Pending {
  resolve(frame: Record<string, unknown>): void;
  reject(err: Error): void;
}

let ridCounter = 0;

export class V1Client implements BenchClient {
  private ws?: WebSocket;
  private pending = new Map<string, Pending>();
  open = false;

  constructor(
    readonly userId: string,
    private readonly token: string,
    private readonly spec: ClientSpec,
    private readonly events: ClientEvents,
  ) {}

  connect(localAddress: string): Promise<void> {
    const url = `${this.spec.baseUrl.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(this.token)}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { localAddress, perMessageDeflate: false, handshakeTimeout: 30_000 });
      this.ws = ws;
      let hello = false;
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString());
        switch (f.op) {
          case 'msg':
            this.events.onMsg(this, f.msg as WireMsg);
            return;
          case 'hello':
            hello = true;
            this.open = true;
            resolve();
            return;
          default: {
            const p = f.rid !== undefined ? this.pending.get(f.rid) : undefined;
            if (!p) return;
            this.pending.delete(f.rid);
            if (f.op === 'error') p.reject(new RemoteError(f.code, f.message));
            else p.resolve(f);
          }
        }
      });
      ws.on('error', (err) => {
        if (!hello) reject(err);
      });
      ws.on('close', (code, reason) => {
        this.open = false;
        if (!hello) reject(new Error(`closed before hello: ${code} ${reason}`));
        for (const p of this.pending.values()) p.reject(new Error('socket closed'));
        this.pending.clear();
        this.events.onClose(this);
      });
    });
  }

  private request(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    const rid = String(++ridCounter);
    return new Promise((resolve, reject) => {
      if (!this.ws || !this.open) return reject(new Error('not connected'));
      this.pending.set(rid, { resolve, reject });
      this.ws.send(JSON.stringify({ ...frame, rid }));
    });
  }

  async send(to: string, clientMsgId: string, text: string): Promise<WireMsg> {
    const f = await this.request({ op: 'send', to, clientMsgId, kind: 'text', body: { text } });
    return f.msg as WireMsg;
  }

  async history(conv: string, after: number, limit: number) {
    const f = await this.request({ op: 'history', conv, after, limit });
    return { messages: (f.messages ?? []) as WireMsg[], hasMore: Boolean(f.hasMore) };
  }

  drop(): void {
    this.open = false;
    this.ws?.terminate();
  }
}
