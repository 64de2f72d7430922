import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PUSH_HOLD_MAX_MS, Session } from '../../src/gateway/session.js';

/** A session over a fake socket that records every frame handed to ws and whether its socket was corked then. */
function harness(maxBytes = 1 << 20) {
  const sent: string[] = [];
  let corks = 0;
  const sock = {
    get writableCorked() {
      return corks;
    },
    cork: () => corks++,
    uncork: () => corks--,
    on: () => {},
  };
  const ws = { readyState: 1, bufferedAmount: 0, _socket: sock, send: (p: string) => sent.push(p), close: () => {}, pause: () => {}, resume: () => {} };
  const overflows: Session[] = [];
  const s = new Session(
    'sess',
    { id: 'bob', nickname: '', avatarUrl: '' } as never,
    ws as never,
    { maxBytes, onOverflow: (x) => overflows.push(x) },
    { sessionId: 'login', expiresAt: Date.now() + 60_000 },
    { maxRunning: 4, maxWaitingBytes: 1024, run: async () => {}, mayStart: () => true },
  );
  /** Ends the turn: the sockets written to in it are uncorked (process.nextTick). */
  const endTurn = () => new Promise<void>((r) => process.nextTick(r));
  return { s, sent, overflows, endTurn };
}

describe('Session.push: a push waits for the ack of its socket’s own pending send', () => {
  // The hold timer is shared by every session: each test ends with it fired, so the next one arms its own.
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.runAllTimers();
    vi.useRealTimers();
  });

  it('writes at once when no send of the socket is pending', () => {
    const { s, sent } = harness();
    s.push('p1');
    expect(sent).toEqual(['p1']);
  });

  it('holds while a send is pending and writes the pushes right before the ack, in order', async () => {
    const { s, sent, endTurn } = harness();
    s.sendStarted();
    s.push('p1');
    s.push('p2');
    expect(sent).toEqual([]);
    s.send({ op: 'ack' });
    s.sendEnded();
    expect(sent).toEqual(['p1', 'p2', '{"op":"ack"}']);
    await endTurn();
    s.push('p3');
    expect(sent.at(-1)).toBe('p3');
  });

  it('does not hold when the socket is written to in this turn anyway', async () => {
    const { s, sent, endTurn } = harness();
    s.sendStarted();
    s.sendRaw('other');
    s.push('p1');
    expect(sent).toEqual(['other', 'p1']);
    await endTurn();
    s.push('p2');
    expect(sent).toEqual(['other', 'p1']);
  });

  it('writes held pushes when the send ends without a reply, and after PUSH_HOLD_MAX_MS at the latest', () => {
    const a = harness();
    a.s.sendStarted();
    a.s.push('p1');
    a.s.sendEnded();
    expect(a.sent).toEqual(['p1']);

    const b = harness();
    b.s.sendStarted();
    b.s.push('p1');
    vi.advanceTimersByTime(PUSH_HOLD_MAX_MS - 1);
    expect(b.sent).toEqual([]);
    vi.advanceTimersByTime(PUSH_HOLD_MAX_MS + 1);
    expect(b.sent).toEqual(['p1']);

    // A hold that starts after the shared timer was armed still ends PUSH_HOLD_MAX_MS after it began.
    const c = harness();
    const d = harness();
    c.s.sendStarted();
    c.s.push('c1');
    vi.advanceTimersByTime(PUSH_HOLD_MAX_MS / 2);
    d.s.sendStarted();
    d.s.push('d1');
    vi.advanceTimersByTime(PUSH_HOLD_MAX_MS / 2);
    expect(c.sent).toEqual(['c1']);
    expect(d.sent).toEqual([]);
    vi.advanceTimersByTime(PUSH_HOLD_MAX_MS / 2);
    expect(d.sent).toEqual(['d1']);
  });

  it('counts held pushes against the backlog bound and drops them on close', () => {
    const { s, sent, overflows } = harness(10);
    s.sendStarted();
    s.push('123456');
    expect(s.backlog).toBe(6);
    s.push('123456');
    expect(overflows).toEqual([s]);
    const c = harness();
    c.s.sendStarted();
    c.s.push('p1');
    c.s.close(1000, 'bye');
    c.s.sendEnded();
    expect(c.sent).toEqual([]);
    expect(sent).toEqual([]);
  });
});
