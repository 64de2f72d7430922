import { describe, expect, it } from 'vitest';
import { RequestQueue } from '../../src/gateway/request-queue.js';

/** A queue whose requests finish when the test says so. */
function harness(maxRunning: number, maxWaitingBytes: number) {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const events: string[] = [];
  let allow = true;
  const q = new RequestQueue<number>(maxRunning, maxWaitingBytes, {
    run: (n) =>
      new Promise<void>((resolve) => {
        started.push(n);
        finish.set(n, resolve);
      }),
    mayStart: () => allow,
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
  });
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    q,
    started,
    events,
    settle,
    done: async (n: number) => {
      finish.get(n)!();
      await settle();
    },
    deny: () => {
      allow = false;
    },
  };
}

describe('RequestQueue', () => {
  it('runs at most maxRunning at once, the rest in arrival order, pausing the socket while any wait', async () => {
    const h = harness(2, 300);
    const handled = [1, 2, 3, 4, 5].map((n) => h.q.submit(n, 100));
    expect(handled.every((p) => p !== undefined)).toBe(true);
    expect(h.started).toEqual([1, 2]);
    expect(h.events).toEqual(['pause']);
    expect(h.q.submit(6, 1)).toBeUndefined(); // 300 bytes waiting: full
    await h.done(2);
    expect(h.started).toEqual([1, 2, 3]);
    await h.done(1);
    await h.done(3);
    expect(h.started).toEqual([1, 2, 3, 4, 5]);
    expect(h.events).toEqual(['pause', 'resume']);
    await h.done(4);
    await h.done(5);
    let all = false;
    void Promise.all(handled).then(() => {
      all = true;
    });
    await h.settle();
    expect(all).toBe(true);
    expect(h.q.size).toBe(0);
  });

  it('drops waiting requests unexecuted when they may no longer start, and reads the socket again', async () => {
    const h = harness(1, 500);
    const handled = [1, 2, 3].map((n) => h.q.submit(n, 100)!);
    h.deny();
    await h.done(1);
    expect(h.started).toEqual([1]);
    await Promise.all(handled); // the dropped ones settle too (a graceful shutdown waits for them)
    expect(h.events).toEqual(['pause', 'resume']);
    expect(h.q.size).toBe(0);
  });

  it('clear() drops what waits and resumes reading; running requests finish', async () => {
    const h = harness(1, 250);
    const handled = [1, 2, 3].map((n) => h.q.submit(n, 100)!);
    h.q.clear();
    expect(h.events).toEqual(['pause', 'resume']);
    await Promise.all(handled.slice(1));
    expect(h.q.submit(4, 200)).toBeDefined(); // the bytes of what was dropped no longer count
    await h.done(1);
    await handled[0];
    expect(h.started).toEqual([1, 4]);
  });

  it('always takes one waiting frame, however big', () => {
    const h = harness(1, 10);
    h.q.submit(1, 5);
    expect(h.q.submit(2, 1000)).toBeDefined();
    expect(h.q.submit(3, 1)).toBeUndefined();
  });
});
