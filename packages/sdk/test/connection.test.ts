import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backoff } from '../src/backoff.js';
import { Connection } from '../src/connection.js';
import { transition } from '../src/state.js';
import type { SocketHandlers, Transport } from '../src/transport/transport.js';

/** A scripted transport: each open() is recorded; the test decides what the socket does. */
class ScriptedTransport implements Transport {
  readonly name = 'scripted';
  opens: Array<{ at: number; token: string; handlers: SocketHandlers; closed: boolean; sent: string[] }> = [];
  /** What a new socket does on its own. */
  behaviour: 'refuse' | 'hello' | 'silent' = 'refuse';
  open(_url: string, token: string, handlers: SocketHandlers) {
    const rec = { at: Date.now(), token, handlers, closed: false, sent: [] as string[] };
    this.opens.push(rec);
    if (this.behaviour === 'refuse') queueMicrotask(() => !rec.closed && handlers.onClose(1006, ''));
    if (this.behaviour === 'hello') {
      setTimeout(() => {
        if (rec.closed) return;
        handlers.onOpen();
        handlers.onMessage(
          JSON.stringify({
            op: 'hello',
            user: { id: 'u1', nickname: '', avatarUrl: '' },
            sessionId: 's',
            serverTime: 0,
            heartbeatMs: 10_000,
            limits: {},
          }),
        );
      }, 0);
    }
    return {
      send: (d: string) => rec.sent.push(d),
      close: () => {
        rec.closed = true;
      },
    };
  }
}

describe('state machine', () => {
  it('emits {oldState, newState, reason} and refuses illegal moves', () => {
    expect(transition('disconnected', 'connecting', 'connect')).toEqual({
      oldState: 'disconnected',
      newState: 'connecting',
      reason: 'connect',
    });
    expect(transition('connected', 'connected', 'hello')).toBeNull();
    expect(() => transition('disconnected', 'connected', 'hello')).toThrow(/illegal/);
  });
});

describe('backoff', () => {
  it('draws full-jitter delays under a doubling ceiling with a cap', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.5 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([50, 100, 200, 400, 500, 500]);
    const zero = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect(zero.next()).toBe(0);
    b.reset();
    expect(b.ceiling()).toBe(100);
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
    const t = new ScriptedTransport();
    const conn = new Connection({
      wsUrl: 'ws://x/ws',
      transport: t,
      getToken: () => 'tok',
      backoff: { baseMs: 1000, maxMs: 8000, random: () => 0.99 },
    });
    const start = Date.now();
    conn.connect();
    await vi.advanceTimersByTimeAsync(60_000);
    const gaps = t.opens.slice(1, 8).map((o, i) => o.at - t.opens[i].at);
    // Delay n = floor(0.99 * min(8000, 1000 * 2^n)).
    expect(gaps).toEqual([990, 1980, 3960, 7920, 7920, 7920, 7920]);
    expect(t.opens[0].at).toBe(start);
    expect(conn.state).toBe('reconnecting');
    // Once a server says hello, the next loss starts from the smallest delay again.
    t.behaviour = 'hello';
    await vi.advanceTimersByTimeAsync(8000);
    expect(conn.state).toBe('connected');
    const n = t.opens.length;
    t.behaviour = 'refuse';
    t.opens[n - 1].handlers.onClose(1006, '');
    await vi.advanceTimersByTimeAsync(989);
    expect(t.opens.length).toBe(n);
    await vi.advanceTimersByTimeAsync(2);
    expect(t.opens.length).toBe(n + 1);
    conn.disconnect();
  });

  it('declares a silent socket dead by its own timer and holds one socket at a time', async () => {
    const t = new ScriptedTransport();
    t.behaviour = 'hello';
    const conn = new Connection({
      wsUrl: 'ws://x/ws',
      transport: t,
      getToken: () => 'tok',
      backoff: { baseMs: 100, random: () => 0 },
    });
    const reasons: string[] = [];
    conn.on('state', (c) => reasons.push(`${c.newState}:${c.reason}`));
    conn.connect();
    await vi.advanceTimersByTimeAsync(1);
    expect(conn.state).toBe('connected');
    // No frames ever come back: the ping at 10 s goes unanswered, dead 5 s later.
    t.behaviour = 'silent';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.opens[0].sent.map((d) => JSON.parse(d).op)).toEqual(['ping']);
    expect(conn.state).toBe('connected');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reasons).toContain('reconnecting:heartbeat_timeout');
    expect(t.opens[0].closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.opens.length).toBe(2);
    // A silent new socket is given up by the connect timeout, never stacked.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.opens[1].closed).toBe(true);
    expect(t.opens.filter((o) => !o.closed).length).toBeLessThanOrEqual(1);
    conn.disconnect();
    expect(t.opens.every((o) => o.closed)).toBe(true);
  });

  it('does not reconnect while paused and reconnects at once on resume', async () => {
    const t = new ScriptedTransport();
    t.behaviour = 'hello';
    const conn = new Connection({ wsUrl: 'ws://x/ws', transport: t, getToken: () => 'tok' });
    conn.connect();
    await vi.advanceTimersByTimeAsync(1);
    conn.pause();
    t.opens[0].handlers.onClose(1006, 'interrupted');
    expect(conn.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.opens.length).toBe(1);
    conn.resume();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.opens.length).toBe(2);
    expect(conn.state).toBe('connected');
    conn.disconnect();
  });

  it('stops for good on 4403 and 4409', async () => {
    const t = new ScriptedTransport();
    t.behaviour = 'hello';
    const conn = new Connection({ wsUrl: 'ws://x/ws', transport: t, getToken: () => 'tok' });
    conn.connect();
    await vi.advanceTimersByTimeAsync(1);
    t.opens[0].handlers.onClose(4409, 'replaced');
    expect(conn.state).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.opens.length).toBe(1);
  });
});
