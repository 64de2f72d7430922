/** CPU time and memory of another process, read from /proc (Linux). */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks = 0;
function clockTicks(): number {
  if (!ticks) {
    try {
      ticks = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** User + system CPU time of `pid` (all threads) in milliseconds, from `/proc/<pid>/stat`. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: field 3 is state (index 0), utime is field 14 (index 11), stime 15 (index 12).
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks();
}

/** Resident set size of `pid` in bytes, from `/proc/<pid>/status`. */
export function procRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU ms so far of every process whose command name is `comm` (e.g. `postgres`: the server and its backends). */
export function commCpuMs(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) total += procCpuMs(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/**
 * User and system CPU time (ms) of each kind of thread of `pid`, from `/proc/<pid>/task/<tid>/stat`:
 * `main` (the event loop), `libuv` (the thread pool: fs calls such as fdatasync), `v8` (GC and compiler
 * helpers), `other` (worker threads and the rest). Threads that exited in between are missing from the later reading.
 */
export function procThreadCpuMs(pid: number): Record<string, { user: number; sys: number }> {
  const out: Record<string, { user: number; sys: number }> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const kind = Number(tid) === pid ? 'main' : comm.startsWith('libuv-worker') ? 'libuv' : comm.startsWith('V8 ') ? 'v8' : 'other';
    const t = out[kind] ?? { user: 0, sys: 0 };
    out[kind] = t;
    t.user += (Number(fields[11]) * 1000) / clockTicks();
    t.sys += (Number(fields[12]) * 1000) / clockTicks();
  }
  return out;
}

/** `after - before` of two `procThreadCpuMs` readings, as `<kind> usr µs` / `<kind> sys µs` entries (microseconds). */
export function threadCpuDelta(
  before: Record<string, { user: number; sys: number }>,
  after: Record<string, { user: number; sys: number }>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, a] of Object.entries(after)) {
    const b = before[kind] ?? { user: 0, sys: 0 };
    out[`${kind} usr µs`] = (a.user - b.user) * 1000;
    out[`${kind} sys µs`] = (a.sys - b.sys) * 1000;
  }
  return out;
}
