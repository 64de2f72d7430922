/**
 * A TCP proxy in front of the server, one per client, that can break the network the way
 * real networks break: `cut()` resets every connection (RST), `blackHole()` keeps the
 * connections open but drops every byte both ways (no FIN, nothing arrives: a dead NAT or
 * Wi-Fi), `refuse()` resets new connections at once (no route). `heal()` forwards again and
 * resets connections that lost bytes (their streams are broken).
 */
import net from 'node:net';

type Mode = 'pass' | 'blackhole' | 'refuse';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes were dropped on this pair: it cannot carry a stream any more. */
  broken: boolean;
}

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly pairs = new Set<Pair>();
  private mode: Mode = 'pass';
  port = 0;

  /** `upstreamPort()` is read for every new connection (the server's port changes across restarts). */
  constructor(private readonly upstreamPort: () => number) {}

  async listen(): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Whether the proxy is breaking the network now. */
  get impaired(): boolean {
    return this.mode !== 'pass';
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resets every open connection. */
  cut(): void {
    for (const p of [...this.pairs]) this.drop(p);
  }

  /** Drops every byte both ways, on open and new connections, without closing anything. */
  blackHole(): void {
    this.mode = 'blackhole';
  }

  /** New connections are reset at once; open ones are black-holed (the device lost its network). */
  refuse(): void {
    this.mode = 'refuse';
  }

  /** Forwards again; connections that lost bytes are reset. */
  heal(): void {
    this.mode = 'pass';
    for (const p of [...this.pairs]) if (p.broken) this.drop(p);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {});
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.upstreamPort(), '127.0.0.1');
    upstream.on('error', () => {});
    const pair: Pair = { client, upstream, broken: false };
    this.pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk) => {
        if (this.mode !== 'pass') {
          pair.broken = true;
          return;
        }
        if (!pair.broken) to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    // A close on one side is passed on (a server that exits closes its sockets), unless black-holed.
    const end = () => {
      if (this.mode !== 'pass' && !pair.broken) {
        pair.broken = true;
        return;
      }
      if (this.mode === 'pass') this.drop(pair);
    };
    client.on('close', end);
    upstream.on('close', end);
  }

  private drop(p: Pair): void {
    this.pairs.delete(p);
    if (!p.client.destroyed) p.client.resetAndDestroy();
    if (!p.upstream.destroyed) p.upstream.resetAndDestroy();
  }
}

/** mulberry32: a small seeded PRNG, so a chaos run can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
