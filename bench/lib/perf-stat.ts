/**
 * Kernel event counts of a server process over a window, from `perf stat -p <pid>` (software
 * events and syscall tracepoints: no hardware counters needed). Counts of syscalls and context
 * switches per message do not depend on how fast a loaded machine runs, unlike CPU time.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export const PERF_EVENTS = [
  'raw_syscalls:sys_enter',
  'context-switches',
  'syscalls:sys_enter_fdatasync',
  'syscalls:sys_enter_pwrite64',
  'syscalls:sys_enter_fcntl',
  'syscalls:sys_enter_futex',
  'syscalls:sys_enter_epoll_pwait',
  'syscalls:sys_enter_read',
  'syscalls:sys_enter_writev',
] as const;

export type PerfCounts = Record<string, number>;

/** Starts counting; `stop()` returns the counts (null when perf is missing or not permitted). */
export function startPerfStat(pid: number): { stop(): Promise<PerfCounts | null> } {
  let child: ChildProcess | undefined;
  let err = '';
  try {
    child = spawn('perf', ['stat', '-x', ',', '-e', PERF_EVENTS.join(','), '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', () => {
      child = undefined;
    });
  } catch {
    child = undefined;
  }
  return {
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null) return null;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      const out: PerfCounts = {};
      for (const line of err.split('\n')) {
        const [value, , event] = line.split(',');
        if (!event || !value || Number.isNaN(Number(value))) continue;
        out[event.replace(/^syscalls:sys_enter_|^raw_syscalls:sys_enter$/, (m) => (m.startsWith('raw') ? 'syscalls' : ''))] = Number(value);
      }
      return Object.keys(out).length ? out : null;
    },
  };
}
