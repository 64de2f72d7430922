/**
 * Crash test (issue 14 item 10): the server process is killed with SIGKILL while six clients
 * send (direct chats and a group), started again on the same data (SQLite file, PostgreSQL
 * schema), and audited: every acked message is stored with the seq and id its ack named, every
 * conversation's seqs run 1..n without a gap, each (sender, clientMsgId) is stored once, and a
 * resend of a clientMsgId (acked, or in flight at the kill) comes back as the stored message.
 * Seeded (MINIIM_CRASH_SEED replays a run) and bounded: two kills per backend, each after
 * 1.5–3 s of load. PostgreSQL skips loudly without the service, and fails under
 * MINIIM_REQUIRE_SERVICES=1.
 */
import { describe, expect, it } from 'vitest';
import { seeded } from '../../../sdk/test/support/chaos/tcp-proxy.js';
import { freshDatabase, serviceAvailable } from '../support/databases.js';
import { type ServerProcess, spawnServer } from '../support/process.js';
import { httpJson, TestClient, tempDir } from '../support/server.js';

const SEED = Number(process.env.MINIIM_CRASH_SEED ?? 1414);
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
/** Sends each client keeps outstanding. */
const WINDOW = 6;

interface Sent {
  from: string;
  clientMsgId: string;
  to: string;
  /** What the ack named; undefined when the kill came first. */
  acked?: { conv: string; seq: number; id: string };
}

interface StoredMsg {
  id: string;
  conv: string;
  seq: number;
  from: string;
  clientMsgId?: string;
}

const directConv = (a: string, b: string) => (a < b ? `d:${a}:${b}` : `d:${b}:${a}`);

class CrashRun {
  readonly ledger = new Map<string, Sent>();
  readonly tokens = new Map<string, string>();
  groupConv = '';
  private cycle = 0;

  constructor(
    private readonly rnd: () => number,
    private readonly env: Record<string, string>,
  ) {}

  /** Answers to sends other than an ack (there must be none). */
  readonly refused: string[] = [];

  start(): Promise<ServerProcess> {
    return spawnServer(this.env);
  }

  async setUp(server: ServerProcess): Promise<void> {
    for (const u of USERS) this.tokens.set(u, (await httpJson(server.url, 'POST', '/api/auth/dev', { body: { userId: u } })).body.token);
    const g = await httpJson(server.url, 'POST', '/api/groups', { token: this.tokens.get('u0'), body: { name: 'crash', members: USERS.slice(1) } });
    expect(g.status).toBe(200);
    this.groupConv = `g:${g.body.id}`;
  }

  /** Every client sends (WINDOW outstanding) until the process is killed after `loadMs`; returns how many acks came. */
  async loadThenKill(server: ServerProcess, loadMs: number): Promise<number> {
    this.cycle++;
    const ws = server.url.replace('http', 'ws');
    const clients = await Promise.all(USERS.map((u) => TestClient.connect(`${ws}/ws?token=${this.tokens.get(u)}`)));
    let stopped = false;
    let acks = 0;
    clients.forEach((c, i) => {
      const from = USERS[i]!;
      const pending = new Map<string, Sent>();
      let n = 0;
      const sendOne = () => {
        if (stopped || c.ws.readyState !== c.ws.OPEN) return;
        const peer = USERS[Math.floor(this.rnd() * USERS.length)]!;
        const to = peer === from ? this.groupConv : `u:${peer}`;
        const sent: Sent = { from, clientMsgId: `k${this.cycle}-${from}-${n++}`, to };
        this.ledger.set(`${from}/${sent.clientMsgId}`, sent);
        const rid = sent.clientMsgId;
        pending.set(rid, sent);
        c.send({ op: 'send', rid, to, clientMsgId: sent.clientMsgId, kind: 'text', body: { text: `${from} ${n}` } });
      };
      c.ws.on('message', (data) => {
        const f = JSON.parse(data.toString());
        const sent = pending.get(f.rid);
        if (!sent) return;
        pending.delete(f.rid);
        if (f.op !== 'ack') {
          this.refused.push(JSON.stringify(f));
          return;
        }
        sent.acked = { conv: f.msg.conv, seq: f.msg.seq, id: f.msg.id };
        acks++;
        sendOne();
      });
      for (let k = 0; k < WINDOW; k++) sendOne();
    });
    await new Promise((r) => setTimeout(r, loadMs));
    server.child.kill('SIGKILL');
    await server.exited;
    stopped = true;
    for (const c of clients) c.close();
    return acks;
  }

  /** Every conversation's full history, as the first member reads it. */
  async histories(server: ServerProcess): Promise<Map<string, StoredMsg[]>> {
    const convs = [this.groupConv];
    for (const [i, a] of USERS.entries()) for (const b of USERS.slice(i + 1)) convs.push(directConv(a, b));
    const out = new Map<string, StoredMsg[]>();
    for (const conv of convs) {
      const reader = conv.startsWith('g:') ? 'u0' : conv.split(':')[1]!;
      const all: StoredMsg[] = [];
      for (;;) {
        const page = await httpJson(server.url, 'GET', `/api/conversations/${conv}/messages?after=${all.length ? all.at(-1)!.seq : 0}&limit=100`, {
          token: this.tokens.get(reader),
        });
        if (page.status === 404) break; // a direct chat nobody used
        expect(page.status).toBe(200);
        all.push(...page.body.messages);
        if (!page.body.hasMore) break;
      }
      out.set(conv, all);
    }
    return out;
  }

  /** The audit after a restart; returns how many sends were in flight (not acked) at the kills. */
  async audit(server: ServerProcess): Promise<{ acked: number; unacked: number }> {
    const histories = await this.histories(server);
    const stored = new Map<string, StoredMsg>();
    for (const [conv, msgs] of histories) {
      // Group conversations start with their creation notice (a system message without clientMsgId).
      expect(
        msgs.map((m) => m.seq),
        `${conv}: seqs without a gap`,
      ).toEqual(msgs.map((_, k) => k + 1));
      for (const m of msgs) {
        if (m.clientMsgId === undefined) continue;
        const key = `${m.from}/${m.clientMsgId}`;
        expect(stored.has(key), `${key} stored once`).toBe(false);
        stored.set(key, m);
      }
    }
    let acked = 0;
    let unacked = 0;
    for (const [key, s] of this.ledger) {
      if (!s.acked) {
        unacked++;
        continue;
      }
      acked++;
      expect(stored.get(key), `acked ${key} stored as acked`).toMatchObject({ conv: s.acked.conv, seq: s.acked.seq, id: s.acked.id });
    }
    return { acked, unacked };
  }

  /**
   * Resends every send that was in flight at a kill and a seeded sample of acked ones: each
   * comes back as the stored message (acked: exactly the acked one), never stored twice.
   */
  async resend(server: ServerProcess, sample: number): Promise<void> {
    const ws = server.url.replace('http', 'ws');
    const clients = new Map<string, TestClient>();
    for (const u of USERS) clients.set(u, await TestClient.connect(`${ws}/ws?token=${this.tokens.get(u)}`));
    const all = [...this.ledger.values()];
    const picked = all.filter((s) => !s.acked || this.rnd() < sample / all.length);
    const byUser = USERS.map((u) => picked.filter((s) => s.from === u));
    await Promise.all(
      byUser.map(async (mine) => {
        for (const s of mine) {
          const c = clients.get(s.from)!;
          const r = await c.request({ op: 'send', to: s.to, clientMsgId: s.clientMsgId, kind: 'text', body: { text: 'resend' } });
          expect(r.op, JSON.stringify(r)).toBe('ack');
          if (s.acked) expect(r.msg).toMatchObject({ conv: s.acked.conv, seq: s.acked.seq, id: s.acked.id });
          else s.acked = { conv: r.msg.conv, seq: r.msg.seq, id: r.msg.id };
        }
      }),
    );
    for (const c of clients.values()) c.close();
  }
}

async function crashRun(env: Record<string, string>, seed: number) {
  const run = new CrashRun(seeded(seed), env);
  const rnd = seeded(seed ^ 0x5eed);
  const t0 = Date.now();
  const phase = (what: string) => process.env.MINIIM_CRASH_TRACE && console.log(`[crash] ${Date.now() - t0} ms ${what}`);
  let server = await run.start();
  await run.setUp(server);
  const figures: Array<{ acks: number; inFlight: number }> = [];
  for (let kill = 0; kill < 2; kill++) {
    const acks = await run.loadThenKill(server, 1500 + Math.floor(rnd() * 1500));
    phase('killed');
    server = await run.start();
    phase('restarted');
    const { unacked } = await run.audit(server);
    figures.push({ acks, inFlight: unacked });
    expect(acks, 'the load got messages acked before the kill').toBeGreaterThan(50);
    expect(run.refused).toEqual([]);
    phase('audited');
    await run.resend(server, 300);
    phase('resent');
    // After the resends every send is stored exactly once (the audit checks acked ones and gaps).
    expect((await run.audit(server)).unacked).toBe(0);
  }
  server.child.kill('SIGKILL');
  await server.exited;
  return figures;
}

describe('kill -9 under load, restart, audit', () => {
  it(`SQLite: every acked message kept with its seq, no gap, resends dedupe (seed ${SEED})`, { timeout: 120_000 }, async () => {
    // DATABASE_URL '' keeps SQLite in the data dir even when MINIIM_TEST_STORAGE names a network database.
    const figures = await crashRun({ MINIIM_DATA_DIR: tempDir(), DATABASE_URL: '', MINIIM_RATE_LIMITS: 'off' }, SEED);
    console.log(`[crash] sqlite seed ${SEED}: ${JSON.stringify(figures)}`);
  });

  it(`PostgreSQL: every acked message kept with its seq, no gap, resends dedupe (seed ${SEED})`, { timeout: 120_000 }, async (ctx) => {
    if (!(await serviceAvailable('postgres'))) ctx.skip();
    const figures = await crashRun(
      { MINIIM_DATA_DIR: tempDir(), DATABASE_URL: await freshDatabase('postgres'), MINIIM_DB_POOL: '4', MINIIM_RATE_LIMITS: 'off' },
      SEED,
    );
    console.log(`[crash] postgres seed ${SEED}: ${JSON.stringify(figures)}`);
  });
});
