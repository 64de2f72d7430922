/** socket.io-client adapter for the Socket.IO baseline (websocket transport only). */
import { io, type Socket } from 'socket.io-client';
import { type BenchClient, type ClientEvents, type ClientSpec, RemoteError, type WireMsg } from './bench-client.js';

type Ack = { msg?: WireMsg; error?: { code: string; message: string } };

export class SocketIoClient implements BenchClient {
  private socket?: Socket;
  open = false;

  constructor(
    readonly userId: string,
    private readonly spec: ClientSpec,
    private readonly events: ClientEvents,
  ) {}

  connect(localAddress: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = io(this.spec.baseUrl, {
        transports: ['websocket'],
        auth: { userId: this.userId },
        reconnection: false,
        forceNew: true,
        timeout: 30_000,
        localAddress,
        perMessageDeflate: false,
      } as unknown as Parameters<typeof io>[1]);
      this.socket = socket;
      let hello = false;
      socket.on('hello', () => {
        hello = true;
        this.open = true;
        resolve();
      });
      socket.on('msg', (msg: WireMsg) => this.events.onMsg(this, msg));
      socket.on('connect_error', (err) => {
        if (!hello) reject(err);
      });
      socket.on('disconnect', () => {
        this.open = false;
        this.events.onClose(this);
      });
    });
  }

  send(to: string, clientMsgId: string, text: string): Promise<WireMsg> {
    return new Promise((resolve, reject) => {
      if (!this.socket || !this.open) return reject(new Error('not connected'));
      this.socket.emit('send', { to, clientMsgId, kind: 'text', body: { text } }, (a: Ack) => {
        if (a?.msg) resolve(a.msg);
        else reject(new RemoteError(a?.error?.code ?? 'internal', a?.error?.message ?? 'no ack'));
      });
    });
  }

  history(conv: string, after: number, limit: number): Promise<{ messages: WireMsg[]; hasMore: boolean }> {
    return new Promise((resolve, reject) => {
      if (!this.socket || !this.open) return reject(new Error('not connected'));
      this.socket.emit('history', { conv, after, limit }, (r: { messages: WireMsg[]; hasMore: boolean }) => resolve(r));
    });
  }

  drop(): void {
    this.open = false;
    // Close the underlying engine.io websocket without a Socket.IO disconnect packet.
    const engine = this.socket?.io.engine as unknown as { transport?: { ws?: { terminate?: () => void } } };
    const raw = engine?.transport?.ws;
    if (raw?.terminate) raw.terminate();
    else this.socket?.disconnect();
  }
}
