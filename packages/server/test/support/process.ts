/** Runs the real `miniim` CLI in a child process (for hard kills, signals and start-up errors). */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { onCleanup, testStorage } from './server.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
const MAIN = path.join(REPO_ROOT, 'packages/server/src/main.ts');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Spawns the CLI with PORT=0 and resolves once it logs `listening` (within `startTimeoutMs`, 20 s by default). Under
 * MINIIM_TEST_STORAGE the data dir's test database is its DATABASE_URL.
 */
export async function spawnServer(env: Record<string, string>, opts: { startTimeoutMs?: number } = {}): Promise<ServerProcess> {
  const storage = env.MINIIM_DATA_DIR && !env.DATABASE_URL ? await testStorage(env.MINIIM_DATA_DIR) : {};
  const databaseUrl = storage.databaseUrl ? { DATABASE_URL: storage.databaseUrl } : {};
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', MINIIM_LOG_LEVEL: 'info', ...databaseUrl, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}\n${err}`)), opts.startTimeoutMs ?? 20_000);
    const onData = () => {
      for (const line of out.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const port = JSON.parse(line).port as number;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve({ child, port, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited });
        return;
      }
    };
    child.stdout!.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}\n${err}`));
    });
  });
}

/** Resident memory of a process in MiB, from /proc/<pid>/status (0 when it is gone). */
export function rssMb(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the CLI expecting it to fail at start; resolves with exit code and stderr. */
export function runServerExpectingFailure(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: err });
    });
  });
}
