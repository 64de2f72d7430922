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

/** Starts counting (the processes added up); `stop()` returns the counts (null when perf is missing or not permitted). */
export function startPerfStat(pids: readonly number[]): { stop(): Promise<PerfCounts | null> } {
  let child: ChildProcess | undefined;
  let err = '';
  try {
    // BENCH_PERF_EVENTS replaces the list (e.g. `syscalls:sys_enter_*` for every syscall).
    const events = process.env.BENCH_PERF_EVENTS ?? PERF_EVENTS.join(',');
    child = spawn('perf', ['stat', '-x', ',', '-e', events, '-p', pids.join(',')], { stdio: ['ignore', 'ignore', 'pipe'] });
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

/**
 * With BENCH_PERF_RECORD=<dir>: a system-wide `perf record` (on-CPU samples of every process:
 * nodes, database, Redis, generator) over a window, written to `<dir>/<name>.data`; read it with
 * `perf report -i … --sort comm,dso,sym` (start the servers with BENCH_NODE_ARGS=--perf-basic-prof
 * so JavaScript frames have names; BENCH_PERF_RECORD_ARGS adds perf flags, e.g. `-g`). Null without the variable.
 */
export function startPerfRecord(name: string): { stop(): Promise<void> } | null {
  const dir = process.env.BENCH_PERF_RECORD;
  if (!dir) return null;
  const child = spawn(
    'perf',
    [
      'record',
      '-a',
      '-F',
      '1999',
      ...(process.env.BENCH_PERF_RECORD_ARGS?.split(' ').filter(Boolean) ?? []),
      '-o',
      `${dir}/${name.replace(/[^\w]+/g, '-')}.data`,
    ],
    { stdio: 'ignore' },
  );
  child.on('error', () => {});
  return {
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}
