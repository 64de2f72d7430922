#!/usr/bin/env node
/**
 * `miniim` CLI. `miniim` (or `miniim serve`): loads config, starts the server, shuts down
 * gracefully on SIGTERM/SIGINT. `miniim migrate`: runs pending database migrations.
 * `miniim doctor`: checks config, database, migrations, Redis, WeChat and media (cli/).
 */
import { createServer } from './app.js';
import { ConfigError } from './config/config.js';
import { releaseStartupHeap } from './startup-heap.js';
import { StorageUnavailableError } from './storage/storage-errors.js';

/** A graceful shutdown takes ≈ 10 s at most (5 s drain, 3 s socket close, 2 s HTTP); past this, something hangs. */
const SHUTDOWN_DEADLINE_MS = 15_000;

const USAGE = `usage: miniim [serve | migrate | doctor | help]
  serve     start the server (default)
  migrate   run pending database migrations and exit
  doctor    check config, database, migrations, Redis, WeChat and media; exit 1 if any check fails
Configuration: environment variables (README), or a JSON file named by MINIIM_CONFIG.
`;

/** Runs a one-shot command (migrate, doctor) and exits with its code. */
async function command(name: 'migrate' | 'doctor'): Promise<never> {
  const io = { env: process.env, out: (line: string) => process.stdout.write(`${line}\n`) };
  try {
    const code = name === 'migrate' ? await (await import('./cli/migrate.js')).runMigrate(io) : await (await import('./cli/doctor.js')).runDoctor(io);
    process.exit(code);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StorageUnavailableError) {
      process.stderr.write(`miniim ${name}: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

async function main(): Promise<void> {
  const cmd = process.argv[2] ?? 'serve';
  if (cmd === 'migrate' || cmd === 'doctor') return command(cmd);
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  if (cmd !== 'serve') {
    process.stderr.write(`miniim: unknown command "${cmd}"\n${USAGE}`);
    process.exit(2);
  }
  let server: Awaited<ReturnType<typeof createServer>>;
  try {
    server = await createServer();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StorageUnavailableError) {
      process.stderr.write(`miniim: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      server.logger.error({ signal }, `shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting without finishing it`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    server
      .close()
      .then(() => process.exit(0))
      .catch((err) => {
        server.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await server.listen();
    // Under a process manager (pm2 `wait_ready`), "ready" lets a reload stop the old process only now.
    process.send?.('ready');
    // Start-up's garbage and the heap V8 grew for it, handed back once (startup-heap.ts).
    setImmediate(releaseStartupHeap);
  } catch (err) {
    server.logger.fatal({ err }, 'cannot listen');
    await server.close().catch(() => {});
    process.exit(1);
  }
}

main().catch((err) => {
  process.stderr.write(`miniim: failed to start: ${err?.stack ?? err}\n`);
  process.exit(1);
});
