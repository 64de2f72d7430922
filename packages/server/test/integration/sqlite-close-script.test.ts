/**
 * A script (a CLI command, a bench tool, an operator's one-off) that opens the SQLite storage and closes
 * it: close() must finish with nothing else keeping Node's event loop alive, also after a checkpoint
 * started the worker thread (unref'd while it runs).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/process.js';
import { tempDir } from '../support/server.js';

describe('SQLite storage in a bare script', () => {
  it('closes after a checkpoint on the worker thread, and the script goes on to its end', () => {
    const dir = tempDir();
    const script = join(dir, 'close.mts');
    const src = (p: string) => JSON.stringify(pathToFileURL(join(REPO_ROOT, 'packages/server/src', p)).href);
    writeFileSync(
      script,
      `import { openSqliteStorage } from ${src('storage/sqlite/sqlite-storage.ts')};
let checkpoints = 0;
let seen: () => void;
const checkpointed = new Promise<void>((r) => (seen = r));
const s = await openSqliteStorage(${JSON.stringify(join(dir, 'db.sqlite'))}, {
  checkpoint: { thresholdBytes: 0, checkEvery: 1, onCheckpoint: (r) => { if (r.ok) checkpoints++; seen(); } },
});
await s.appendMessages([{ id: 'm1', conv: 'd:u1:u2', members: ['u1', 'u2'], from: 'u1', kind: 'text', body: { text: 'hi' }, ts: Date.now() }]);
await checkpointed;
await s.close();
console.log('closed after', checkpoints, 'checkpoint');
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout.trim()).toBe('closed after 1 checkpoint');
    expect(r.status).toBe(0);
  }, 40_000);
});
