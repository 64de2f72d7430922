/** Logs users in and holds their connections inside one generator worker. */
import { Agent, request } from 'node:http';
import { type BenchClient, type ClientEvents, type ClientSpec, nodeIndex, type WireMsg } from './bench-client.js';
import { SocketIoClient } from './socketio-client.js';
import { V1Client } from './v1-client.js';

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

/** Where an incoming message goes; scenarios swap it. */
export type MsgHandler = (client: BenchClient, msg: WireMsg) => void;

export class ClientPool {
  readonly clients = new Map<string, BenchClient>();
  private tokens = new Map<string, string>();
  private agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private addrIndex = 0;
  handler: MsgHandler = () => {};
  closes = 0;

  constructor(
    readonly spec: ClientSpec,
    private readonly sourceAddrs: string[],
  ) {}

  private events: ClientEvents = {
    onMsg: (c, m) => this.handler(c, m),
    onClose: () => {
      this.closes++;
    },
  };

  /** Returns a bearer token for `userId` (dev login for MiniIM, the id itself for baselines). */
  token(userId: string): Promise<string> {
    const cached = this.tokens.get(userId);
    if (cached) return Promise.resolve(cached);
    if (this.spec.auth === 'userid') return Promise.resolve(userId);
    return this.post('/api/auth/dev', { userId }).then((body) => {
      const t = (body as { token: string }).token;
      if (!t) throw new Error(`dev login for ${userId} returned no token`);
      this.tokens.set(userId, t);
      return t;
    });
  }

  /** POSTs JSON to the server under test; rejects with status and body on a non-2xx answer. */
  post(path: string, body: unknown, token?: string): Promise<unknown> {
    const url = new URL(path, this.spec.baseUrl);
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(data),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300) reject(new Error(`POST ${path} -> ${res.statusCode} ${text.slice(0, 300)}`));
            else resolve(text ? JSON.parse(text) : {});
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  nextAddress(): string {
    const a = this.sourceAddrs[this.addrIndex % this.sourceAddrs.length];
    this.addrIndex++;
    return a;
  }

  /** Creates (or replaces) the connection of `userId` and waits for `hello`. */
  async connect(userId: string): Promise<BenchClient> {
    const token = await this.token(userId);
    const urls = this.spec.baseUrls;
    const spec = urls?.length ? { ...this.spec, baseUrl: urls[nodeIndex(userId, urls.length, this.spec.placement)]! } : this.spec;
    const c: BenchClient = spec.protocol === 'socketio' ? new SocketIoClient(userId, spec, this.events) : new V1Client(userId, token, spec, this.events);
    this.clients.set(userId, c);
    await c.connect(this.nextAddress());
    return c;
  }

  /** Connects many users; returns how many failed and a sample of errors. */
  async connectAll(users: string[], concurrency: number): Promise<{ failed: number; errors: string[] }> {
    let failed = 0;
    const errors: string[] = [];
    await mapLimit(users, concurrency, async (u) => {
      try {
        await this.connect(u);
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(String((err as Error).message ?? err));
      }
    });
    return { failed, errors };
  }

  dropAll(): void {
    for (const c of this.clients.values()) c.drop();
  }
}
