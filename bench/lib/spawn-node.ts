/** Spawns a Node process (TypeScript through tsx) with the open-file limit raised as far as allowed. */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (two levels above this file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const RAISE_ULIMIT = 'ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

/**
 * Starts `node [nodeArgs] --import tsx <entry>` via `bash -c 'ulimit -n …; exec …'`, so the
 * child's pid is the node process itself (needed for /proc sampling).
 */
export function spawnNode(entry: string, opts: { nodeArgs?: string[]; env?: Record<string, string>; ipc?: boolean }): ChildProcess {
  const args = [...(opts.nodeArgs ?? []), '--import', 'tsx', entry];
  return spawn('bash', ['-c', RAISE_ULIMIT, process.execPath, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
}
