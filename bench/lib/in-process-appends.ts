/** Shared by the in-process commit-path tools (bench/commit-path.ts, bench/wal-restart.ts). */
import type { NewMessage } from '../../packages/server/src/storage/storage.js';

/** Text messages over 50 direct conversations in turn, each with a fresh id and clientMsgId. */
export function messageMaker(): () => NewMessage {
  let k = 0;
  return () => {
    const p = k % 50;
    return {
      id: `m${k}`,
      conv: `d:a${p}:b${p}`,
      members: [`a${p}`, `b${p}`],
      from: `a${p}`,
      kind: 'text',
      body: { text: `hello ${k}` },
      ts: Date.now(),
      clientMsgId: `c${k++}`,
    };
  };
}

/**
 * Calls `send` `rate` times a second for `ms` (the ones due run on every 1 ms tick), with each send's
 * intended time (performance.now() ms); resolves when the last one was called.
 */
export function atFixedRate(rate: number, ms: number, send: (intendedAt: number) => void): Promise<void> {
  const total = Math.round((rate * ms) / 1000);
  const t0 = performance.now();
  let sent = 0;
  return new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      for (; sent < due; sent++) send(t0 + (sent * 1000) / rate);
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
}
