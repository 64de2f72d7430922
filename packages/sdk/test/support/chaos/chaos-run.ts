/**
 * The SDK chaos run (issue 19.12): real server processes restarted with SIGTERM and SIGKILL,
 * a TCP proxy per client that cuts and black-holes, offline periods; web (Node `ws`) and wx
 * (fake `wx`) clients sending all along. Seeded and bounded; returns what it saw for the test
 * to assert on and the README to quote.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { type ServerProcess, spawnServer } from '../../../../server/test/support/process.js';
import type { ImClient } from '../../../src/client.js';
import type { ClientMessage } from '../../../src/store.js';
import type { WebSocketConstructor } from '../../../src/transport/websocket-transport.js';
import { createWebClient } from '../../../src/web/index.js';
import { createWxClient } from '../../../src/wx/index.js';
import { FakeWx } from '../fake-wx.js';
import { seeded, TcpProxy } from './tcp-proxy.js';

export interface ChaosOptions {
  seed: number;
  /** Length of the chaos phase (ms). */
  chaosMs: number;
  webClients: number;
  wxClients: number;
  /** Mean gap between two sends of one client (ms). */
  sendEveryMs: number;
}

export interface ChaosReport {
  seed: number;
  sends: number;
  deliveries: number;
  /** Black hole (no FIN) → client leaves `connected`, per outage that began while connected (ms). */
  blackHoleDetectMs: number[];
  /** Outages that ended before the client noticed them. */
  undetected: Array<{ user: string; kind: string; ms: number }>;
  /** Offline signal → client leaves `connected` (ms). */
  offlineDetectMs: number[];
  /** Network back (offline ended) → `connected` again (ms), while the server was up. */
  networkBackMs: number[];
  /** Black hole healed → `connected` again (ms), while the server was up. */
  healMs: number[];
  /** Connection reset (RST) → `connected` again (ms), while the server was up. */
  cutMs: number[];
  /** Recoveries not counted above because a server restart overlapped them. */
  recoveriesDuringRestart: number;
  /** New server listening → every client that could reach it connected (ms), per restart. */
  restartReconnectMs: Array<{ signal: string; exitMs: number; downMs: number; allBackMs: number }>;
  sessionEnded: string[];
  refreshes: number;
  failedSends: string[];
  /** Per client and conversation: store ids vs the server's list. */
  mismatches: string[];
  /** A sender's messages to one conversation out of their send order. */
  reordered: string[];
  durationMs: number;
}

interface Member {
  user: string;
  client: ImClient;
  proxy: TcpProxy;
  fake?: FakeWx;
  convs: string[];
  targets: string[];
  busyUntil: number;
  sent: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

async function json(base: string, method: string, route: string, token?: string, body?: unknown): Promise<any> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/** Time from `since` until the client leaves `connected`, or undefined if it did not before `deadline`. */
function leaves(c: ImClient, timeoutMs: number): Promise<number | undefined> {
  const since = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(undefined);
    }, timeoutMs);
    const off = c.on('state', (ch) => {
      if (ch.oldState !== 'connected') return;
      clearTimeout(timer);
      off();
      resolve(Date.now() - since);
    });
  });
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const rnd = seeded(o.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const between = (a: number, b: number) => a + Math.floor(rnd() * (b - a));
  const report: ChaosReport = {
    seed: o.seed,
    sends: 0,
    deliveries: 0,
    blackHoleDetectMs: [],
    undetected: [],
    offlineDetectMs: [],
    networkBackMs: [],
    healMs: [],
    cutMs: [],
    recoveriesDuringRestart: 0,
    restartReconnectMs: [],
    sessionEnded: [],
    refreshes: 0,
    failedSends: [],
    mismatches: [],
    reordered: [],
    durationMs: 0,
  };
  const dir = await mkdtemp(path.join(tmpdir(), 'miniim-chaos-'));
  const env = { MINIIM_DATA_DIR: dir, MINIIM_LOG_LEVEL: 'info' };
  let server: ServerProcess = await spawnServer(env);
  /** Bumped when a server goes down and when its successor is up. */
  let restarts = 0;
  const members: Member[] = [];
  const pending: Array<{ user: string; n: number; p: Promise<ClientMessage | undefined>; settled: boolean }> = [];
  try {
    // Users, tokens, one group of everyone; every pair of users has a direct chat.
    const n = o.webClients + o.wxClients;
    const users = Array.from({ length: n }, (_, i) => `c${i}`);
    const auths = new Map<string, { token: string; expiresAt: number }>();
    for (const u of users) {
      const a = await json(server.url, 'POST', '/api/auth/dev', undefined, { userId: u, nickname: u });
      auths.set(u, { token: a.token, expiresAt: a.expiresAt });
    }
    const group = await json(server.url, 'POST', '/api/groups', auths.get(users[0]!)!.token, { name: 'chaos', members: users.slice(1) });
    for (const [i, user] of users.entries()) {
      const proxy = new TcpProxy(() => server.port);
      await proxy.listen();
      const common = {
        baseUrl: proxy.url,
        userId: user,
        auth: auths.get(user)!,
        persistence: false as const,
      };
      let client: ImClient;
      let fake: FakeWx | undefined;
      if (i < o.webClients) {
        client = createWebClient({ ...common, WebSocket: WebSocket as unknown as WebSocketConstructor, lifecycle: false });
      } else {
        fake = new FakeWx();
        client = createWxClient({ ...common, wx: fake.api });
      }
      const others = users.filter((u) => u !== user);
      members.push({
        user,
        client,
        proxy,
        fake,
        convs: [...others.map((p) => (user < p ? `d:${user}:${p}` : `d:${p}:${user}`)), `g:${group.id}`],
        targets: [...others.map((p) => `u:${p}`), `g:${group.id}`],
        busyUntil: 0,
        sent: 0,
      });
      client.on('sessionEnded', (e) => report.sessionEnded.push(`${user}:${e.reason}`));
      client.on('auth', () => report.refreshes++);
    }
    await Promise.all(members.map((m) => m.client.connect()));
    await Promise.all(members.map((m) => m.client.waitConnected(10_000)));
    // Every conversation exists and is loaded from seq 1 in every store before the chaos begins.
    for (const m of members) for (const t of m.targets) if (t.startsWith('u:') && m.user < t.slice(2)) await m.client.sendText(t, `${m.user}#0`);
    await members[0]!.client.sendText(`g:${group.id}`, `${members[0]!.user}#0`);
    for (const m of members) {
      m.sent = 0;
      for (const conv of m.convs) {
        for (let more = true; more; ) more = (await m.client.loadHistory(conv, 100)).hasMore;
      }
    }

    // The chaos phase: sends all along; per client two outages; two server restarts.
    const chaosStart = Date.now();
    const end = chaosStart + o.chaosMs;
    const senders = members.map(async (m) => {
      while (Date.now() < end) {
        await sleep(between(o.sendEveryMs / 2, (o.sendEveryMs * 3) / 2));
        const k = ++m.sent;
        const entry = { user: m.user, n: k, p: Promise.resolve<ClientMessage | undefined>(undefined), settled: false };
        entry.p = m.client.sendText(pick(m.targets), `${m.user}#${k}`).then(
          (msg) => {
            entry.settled = true;
            return msg;
          },
          (err: Error) => {
            entry.settled = true;
            report.failedSends.push(`${m.user}#${k}: ${err.message}`);
            return undefined;
          },
        );
        pending.push(entry);
      }
    });
    const outages = members.map(async (m) => {
      for (let round = 0; round < 2; round++) {
        await sleep(between(1_000, o.chaosMs / 4));
        if (Date.now() > end - 12_000) return;
        const kind = pick(['cut', 'blackhole', 'blackhole', 'offline'] as const);
        const wasConnected = m.client.state === 'connected';
        if (kind === 'cut') {
          const cutAt = Date.now();
          const restartsBefore = restarts;
          m.proxy.cut();
          if (!wasConnected) continue;
          await until(() => m.client.state !== 'connected', 2_000);
          const ok = await until(() => m.client.state === 'connected', 30_000);
          if (ok && restarts === restartsBefore && restarts % 2 === 0) report.cutMs.push(Date.now() - cutAt);
          else if (ok) report.recoveriesDuringRestart++;
          continue;
        }
        const ms = kind === 'blackhole' ? between(11_000, 15_000) : between(5_000, 9_000);
        if (kind === 'blackhole') m.proxy.blackHole();
        else if (m.fake) m.fake.setNetwork(false);
        else {
          m.proxy.refuse();
          m.client.networkChanged(false);
        }
        const noticed = wasConnected ? leaves(m.client, ms) : Promise.resolve(undefined);
        await sleep(ms);
        const detect = await noticed;
        if (wasConnected) {
          if (detect === undefined) report.undetected.push({ user: m.user, kind, ms });
          else (kind === 'blackhole' ? report.blackHoleDetectMs : report.offlineDetectMs).push(detect);
        }
        const back = Date.now();
        const restartsBefore = restarts;
        if (kind === 'blackhole') m.proxy.heal();
        else if (m.fake) m.fake.setNetwork(true);
        else {
          m.proxy.heal();
          m.client.networkChanged(true);
        }
        const ok = await until(() => m.client.state === 'connected', 30_000);
        if (ok && restarts === restartsBefore && restarts % 2 === 0) {
          (kind === 'blackhole' ? report.healMs : report.networkBackMs).push(Date.now() - back);
        } else if (ok) report.recoveriesDuringRestart++;
      }
    });
    const restarter = (async () => {
      for (const [at, signal] of [
        [0.3, 'SIGTERM'],
        [0.65, 'SIGKILL'],
      ] as const) {
        await sleep(Math.max(0, chaosStart + at * o.chaosMs - Date.now()));
        const down = Date.now();
        restarts++;
        server.child.kill(signal);
        await server.exited;
        const exitMs = Date.now() - down;
        server = await spawnServer(env);
        restarts++;
        const up = Date.now();
        // Clients whose own network is fine must all be back; the others are counted by their outage.
        await until(() => members.every((m) => m.client.state === 'connected' || m.proxy.impaired || m.fake?.networkUp === false), 20_000);
        report.restartReconnectMs.push({ signal, exitMs, downMs: up - down, allBackMs: Date.now() - up });
      }
    })();
    await Promise.all([...senders, ...outages, restarter]);

    // Heal everything, let every send settle and every store catch up.
    for (const m of members) {
      m.proxy.heal();
      m.fake?.setNetwork(true);
      m.client.networkChanged(true);
    }
    await Promise.race([Promise.all(pending.map((x) => x.p)), sleep(30_000)]);
    await until(() => members.every((m) => m.client.state === 'connected'), 20_000);
    report.sends = pending.length;
    for (const x of pending) if (!x.settled) report.failedSends.push(`${x.user}#${x.n}: never settled`);

    // Server truth, then every store against it.
    const truth = new Map<string, Array<{ id: string; seq: number; from: string; body: { text?: string } }>>();
    for (const m of members) {
      for (const conv of m.convs) {
        if (truth.has(conv)) continue;
        let all: Array<{ id: string; seq: number; from: string; body: { text?: string } }> = [];
        for (let after = 0, more = true; more; ) {
          const page = await json(server.url, 'GET', `/api/conversations/${conv}/messages?after=${after}&limit=100`, auths.get(m.user)!.token);
          all = all.concat(page.messages);
          more = page.hasMore;
          after = all.length ? all[all.length - 1]!.seq : 0;
        }
        truth.set(conv, all);
      }
    }
    for (const m of members) {
      for (const conv of m.convs) {
        const want = truth
          .get(conv)!
          .map((x) => x.id)
          .join(',');
        const same = () =>
          m.client
            .messages(conv)
            .map((x) => x.id)
            .join(',') === want;
        if (!(await until(same, 10_000))) {
          const have = m.client.messages(conv);
          report.mismatches.push(`${m.user} ${conv}: store ${have.length} (${have.map((x) => x.seq).join(' ')}) vs server ${truth.get(conv)!.length}`);
        }
        report.deliveries += m.client.messages(conv).length;
      }
    }
    // Exactly once on the server: every acked send once; and each sender's messages in its send order.
    const counted = new Map<string, number>();
    for (const [conv, msgs] of truth) {
      const last = new Map<string, number>();
      for (const msg of msgs) {
        const text = msg.body.text ?? '';
        if (!text.includes('#')) continue;
        counted.set(text, (counted.get(text) ?? 0) + 1);
        const [from, k] = text.split('#');
        const prev = last.get(from!) ?? -1;
        if (Number(k) <= prev) report.reordered.push(`${conv}: ${from}#${k} after #${prev}`);
        last.set(from!, Number(k));
      }
    }
    for (const x of pending) {
      const c = counted.get(`${x.user}#${x.n}`) ?? 0;
      if (c !== 1) report.mismatches.push(`${x.user}#${x.n} stored ${c} times`);
    }
  } finally {
    for (const m of members) m.client.dispose();
    for (const m of members) await m.proxy.close();
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
  report.durationMs = Date.now() - started;
  return report;
}
