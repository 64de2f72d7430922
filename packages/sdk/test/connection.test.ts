import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backoff } from '../src/backoff.js';
import { classifyClose } from '../src/close-policy.js';
import { Liveness } from '../src/liveness.js';
import { transition } from '../src/state.js';
import { scriptedConnection } from './support/scripted.js';

describe('state machine', () => {
  it('emits {oldState, newState, reason} and refuses illegal moves', () => {
    expect(transition('disconnected', 'connecting', 'connect')).toEqual({ oldState: 'disconnected', newState: 'connecting', reason: 'connect' });
    expect(transition('connected', 'connected', 'hello')).toBeNull();
    expect(transition('reconnecting', 'offline', 'network_lost')?.newState).toBe('offline');
    expect(() => transition('disconnected', 'connected', 'hello')).toThrow(/illegal/);
    expect(() => transition('offline', 'connecting', 'connect')).toThrow(/illegal/);
  });
});

describe('backoff', () => {
  it('draws full-jitter delays under a doubling ceiling with a cap, lower while in front', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, foregroundMaxMs: 300, random: () => 0.5 });
    b.foreground = false;
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([50, 100, 200, 400, 500, 500]);
    b.foreground = true;
    expect(b.next()).toBe(150);
    const zero = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect(zero.next()).toBe(0);
    b.reset();
    expect(b.ceiling()).toBe(100);
  });
});

describe('liveness verdict', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('an answer read in the turn after the probe timed out keeps the socket; none calls it dead once', () => {
    let dead = 0;
    const l = new Liveness(
      () => true,
      () => dead++,
    );
    l.start({ intervalMs: 60_000, timeoutMs: 100 });
    l.probe();
    vi.advanceTimersByTime(100); // the probe's time is up (a late timer on a busy loop) ...
    l.received(); // ... and its answer was already waiting to be read
    vi.advanceTimersByTime(1_000);
    expect(dead).toBe(0);
    l.probe();
    vi.advanceTimersByTime(100);
    expect(dead).toBe(0); // the verdict waits one turn
    vi.advanceTimersByTime(1);
    expect(dead).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(dead).toBe(1);
    l.stop();
  });
});

describe('which closes end a login (protocol-v1)', () => {
  it('ends only on 4403, 4409 and kicked revoked/banned/replaced/logout; refreshes on 4401; reconnects on the rest', () => {
    const verdict = (code: number, reason = '', kicked?: string) => {
      const v = classifyClose(code, reason, kicked);
      return v.kind === 'end' ? `end:${v.reason}` : v.kind;
    };
    expect(verdict(4403)).toBe('end:banned');
    expect(verdict(4409)).toBe('end:replaced');
    for (const k of ['revoked', 'banned', 'replaced', 'logout']) expect(verdict(4401, '', k)).toBe(`end:${k}`);
    expect(verdict(4401)).toBe('refresh');
    for (const code of [1000, 1001, 1006, 1011, 1012, 1013, 4408, 4429]) expect(verdict(code)).toBe('reconnect');
    for (const k of ['server_shutdown', 'flood', 'slow_consumer', 'heartbeat timeout', 'toString']) expect(verdict(1001, '', k)).toBe('reconnect');
  });
});

describe('Connection with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reconnects after jittered exponential delays, capped, and resets after hello', async () => {
    const { conn, transport: t } = scriptedConnection({ backoff: { baseMs: 1000, maxMs: 8000, foregroundMaxMs: 8000, random: () => 0.99 } });
    const start = Date.now();
    conn.connect();
    await vi.advanceTimersByTimeAsync(60_000);
    const gaps = t.opens.slice(1, 8).map((o, i) => o.at - t.opens[i]!.at);
    // Delay n = floor(0.99 * min(8000, 1000 * 2^n)).
    expect(gaps).toEqual([990, 1980, 3960, 7920, 7920, 7920, 7920]);
    expect(t.opens[0]!.at).toBe(start);
    expect(conn.state).toBe('reconnecting');
    t.behaviour = 'hello';
    await vi.advanceTimersByTimeAsync(8000);
    expect(conn.state).toBe('connected');
    const n = t.opens.length;
    t.behaviour = 'refuse';
    t.last.handlers.onClose(1006, '');
    await vi.advanceTimersByTimeAsync(989);
    expect(t.opens.length).toBe(n);
    await vi.advanceTimersByTimeAsync(2);
    expect(t.opens.length).toBe(n + 1);
    conn.disconnect();
  });

  it('keeps the login through restarts, drops, overload and heartbeat closes: same token, no refresh', async () => {
    const { conn, transport: t, http, ended, states } = scriptedConnection({ backoff: { baseMs: 100, random: () => 0.5 } });
    t.behaviour = 'hello';
    conn.connect();
    await vi.advanceTimersByTimeAsync(1);
    for (const [code, kicked] of [
      [1001],
      [1012],
      [1006],
      [1013, 'slow_consumer'],
      [4408, 'heartbeat timeout'],
      [4429, 'flood'],
      [1001, 'server_shutdown'],
    ] as const) {
      if (kicked) t.last.handlers.onMessage(JSON.stringify({ op: 'kicked', reason: kicked }));
      t.last.handlers.onClose(code, '');
      expect(conn.state).toBe('reconnecting');
      await vi.advanceTimersByTimeAsync(100);
      expect(conn.state).toBe('connected');
    }
    expect(t.opens.map((o) => o.token)).toEqual(Array(8).fill('tok1'));
    expect(http.refreshes).toBe(0);
    expect(ended).toEqual([]);
    expect(states).not.toContain('disconnected:session_ended');
    conn.disconnect();
  });

  it('refreshes only on 4401: a refresh answered 401 ends the login; one answered 502 or refused retries later', async () => {
    const { conn, transport: t, http, ended } = scriptedConnection({ backoff: { baseMs: 100, random: () => 0.5 } });
    t.behaviour = 'hello';
    conn.connect();
    await vi.advanceTimersByTimeAsync(1);
    // 4401, refresh answered 502, then refused (server down), then OK: never logged out.
    let answers = [502, 0, 200];
    http.refresh = () => answers.shift() ?? 200;
    t.last.handlers.onClose(4401, 'token expired');
    await vi.advanceTimersByTimeAsync(1);
    expect(http.refreshes).toBe(1);
    expect(conn.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(http.refreshes).toBe(3);
    expect(conn.state).toBe('connected');
    expect(t.last.token).toBe('tok2');
    expect(ended).toEqual([]);
    // 4401 again, and this time the refresh is refused with 401: the login is over.
    answers = [401];
    t.last.handlers.onClose(4401, '');
    await vi.advanceTimersByTimeAsync(1);
    expect(ended).toEqual(['expired']);
    expect(conn.state).toBe('disconnected');
    const opens = t.opens.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.opens.length).toBe(opens);
  });

  it('never refreshes after failed attempts of other kinds (refused, upgrade failed with a good token)', async () => {
    const { conn, transport: t, http, ended } = scriptedConnection({ backoff: { baseMs: 100, random: () => 0.5 } });
    conn.connect(); // every attempt is refused before the upgrade (1006, socket never opened)
    http.me = 0; // the server is down: the token check cannot say anything
    await vi.advanceTimersByTimeAsync(3_000);
    http.me = 200; // the server is up but the socket still fails: the token is fine
    await vi.advanceTimersByTimeAsync(3_000);
    expect(t.opens.length).toBeGreaterThan(4);
    expect(http.refreshes).toBe(0);
    expect(ended).toEqual([]);
    expect(conn.state).toBe('reconnecting');
    // Only a 401 to the token check (a browser hides the upgrade's 401) leads to a refresh.
    http.me = 401;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(http.refreshes).toBe(1);
    conn.disconnect();
  });

  it('ends the login on 4403, 4409 and an ending kick, without trying to refresh', async () => {
    for (const [code, kicked, reason] of [
      [4403, undefined, 'banned'],
      [4409, undefined, 'replaced'],
      [4401, 'revoked', 'revoked'],
      [1000, 'logout', 'logout'],
    ] as const) {
      const { conn, transport: t, http, ended } = scriptedConnection();
      t.behaviour = 'hello';
      conn.connect();
      await vi.advanceTimersByTimeAsync(1);
      if (kicked) t.last.handlers.onMessage(JSON.stringify({ op: 'kicked', reason: kicked }));
      t.last.handlers.onClose(code, '');
      expect(conn.state).toBe('disconnected');
      expect(ended).toEqual([reason]);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(t.opens.length).toBe(1);
      expect(http.refreshes).toBe(0);
    }
  });

  it('refreshes ahead of expiresAt while connected, and a 503 there changes nothing', async () => {
    const { conn, transport: t, http, ended } = scriptedConnection({}, Date.now() + 100_000);
    t.behaviour = 'hello';
    conn.connect();
    http.refresh = 503;
    await vi.advanceTimersByTimeAsync(89_000);
    expect(http.refreshes).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000); // 10 s ahead of expiry
    expect(http.refreshes).toBe(1);
    http.refresh = 200;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(http.refreshes).toBe(2);
    expect(ended).toEqual([]);
    expect(conn.state).toBe('connected');
    t.last.handlers.onClose(1012, '');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.last.token).toBe('tok2');
    conn.disconnect();
  });

  it('probes after any frame goes unanswered and declares the socket dead within 2 × timeout', async () => {
    const {
      conn,
      transport: t,
      states,
    } = scriptedConnection({ heartbeat: { intervalMs: 30_000, timeoutMs: 3_000 }, backoff: { baseMs: 100, random: () => 0 } });
    t.behaviour = 'hello';
    conn.connect();
    await vi.advanceTimersByTimeAsync(1);
    t.answerPings = false; // black hole from here on
    expect(conn.send({ op: 'send', rid: 'r1' })).toBe(true);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(t.ops(0)).toEqual(['send']);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.ops(0)).toEqual(['send', 'ping']);
    expect(conn.state).toBe('connected');
    // 3 s after the probe, plus one turn of the loop for an answer already waiting to be read.
    await vi.advanceTimersByTimeAsync(3_001);
    expect(states).toContain('reconnecting:heartbeat_timeout');
    expect(t.opens[0]!.closed).toBe(true);
    conn.disconnect();
  });

  it('pings an idle socket every interval, and an answered ping keeps it', async () => {
    // The backoff's random draw is real, so a reconnect may follow the verdict within the same 100 ms
    // step below: the verdict's time comes from the state event, not from polling `conn.state`.
    const { conn, transport: t } = scriptedConnection({ heartbeat: { intervalMs: 5_000, timeoutMs: 4_000 } });
    let deadAt: number | undefined;
    conn.on('state', (c) => {
      if (c.reason === 'heartbeat_timeout' && deadAt === undefined) deadAt = Date.now();
    });
    t.behaviour = 'hello';
    conn.connect();
    await vi.advanceTimersByTimeAsync(20_500);
    // Idle for 5 s (checked every 0.5 s): pings at 5 s, 10.5 s, 16 s; each pong restarts the wait.
    expect(t.ops(0).filter((o) => o === 'ping').length).toBe(3);
    expect(conn.state).toBe('connected');
    // Silence: the next ping goes unanswered and the socket is declared dead ≤ interval + tick + timeout later.
    t.answerPings = false;
    const silentAt = Date.now();
    while (deadAt === undefined && Date.now() - silentAt < 60_000) await vi.advanceTimersByTimeAsync(100);
    expect(deadAt).toBeDefined();
    expect(deadAt! - silentAt).toBeLessThanOrEqual(5_000 + 500 + 4_000);
    expect(t.opens.filter((o) => !o.closed).length).toBeLessThanOrEqual(1);
    conn.disconnect();
  });

  it('reconnects at once when the network comes back, and shows offline while it is gone', async () => {
    const { conn, transport: t, states } = scriptedConnection({ backoff: { baseMs: 1_000, maxMs: 30_000, foregroundMaxMs: 30_000, random: () => 0.99 } });
    conn.connect();
    await vi.advanceTimersByTimeAsync(20_000); // refused over and over: the next wait is long
    conn.networkChanged(false);
    expect(conn.state).toBe('offline');
    const n = t.opens.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.opens.length).toBe(n);
    t.behaviour = 'hello';
    conn.networkChanged(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.opens.length).toBe(n + 1);
    expect(conn.state).toBe('connected');
    expect(states).toContain('offline:network_lost');
    expect(states).toContain('reconnecting:network_back');
    conn.disconnect();
  });

  it('in front: reconnects at once with the backoff reset; behind (mini-program): does not reconnect', async () => {
    const { conn, transport: t } = scriptedConnection({ reconnectInBackground: false });
    t.behaviour = 'hello';
    conn.connect();
    await vi.advanceTimersByTimeAsync(1);
    conn.setForeground(false);
    t.opens[0]!.handlers.onClose(1006, 'interrupted');
    expect(conn.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.opens.length).toBe(1);
    conn.setForeground(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.opens.length).toBe(2);
    expect(conn.state).toBe('connected');
    // Back in front with a live socket: it is probed.
    conn.setForeground(false);
    conn.setForeground(true);
    expect(t.ops(1)).toContain('ping');
    conn.disconnect();
  });
});
