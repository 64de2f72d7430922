// pm2 process file for MiniIM (run from the repository root, after `npm run build`):
//   npx pm2 start deploy/ecosystem.config.cjs        start (env: see below and docs/deployment.md)
//   npx pm2 reload miniim                            zero-downtime reload (one process at a time)
//
// Mode follows the storage:
// - SQLite (the default, no DATABASE_URL or sqlite:): ONE process in fork mode. The database
//   file and the in-process bus belong to a single process; a reload restarts it (clients
//   see 1012 and reconnect within a second or two; nothing acked is lost, nobody logs in again).
// - PostgreSQL / MySQL: cluster mode, MINIIM_INSTANCES processes (default: one per core)
//   sharing the port. A reload replaces them one by one, so the port always answers.
//   Set REDIS_URL too: the Redis bus carries pushes, presence and revocations between the
//   processes (without it a client connected to another process catches up at its next sync only).
//
// Every process gets the same environment: set MINIIM_TOKEN_SECRET, MINIIM_MEDIA_SIGNED_URL_SECRET (and the rest of the
// production config) in the shell that runs pm2, or in an `env_file`-style wrapper.
const path = require('node:path');

const url = process.env.DATABASE_URL ?? '';
const sharedDatabase = /^(postgres|postgresql|mysql):/i.test(url);
const instances = sharedDatabase ? (process.env.MINIIM_INSTANCES ?? 'max') : 1;

module.exports = {
  apps: [
    {
      name: process.env.MINIIM_PM2_NAME ?? 'miniim',
      cwd: path.resolve(__dirname, '..'),
      script: 'packages/server/dist/miniim.js',
      exec_mode: sharedDatabase ? 'cluster' : 'fork',
      instances: instances === 'max' ? 'max' : Number(instances),
      env: {
        // The bin defaults to production; an explicit NODE_ENV in pm2's environment wins.
        NODE_ENV: process.env.NODE_ENV ?? 'production',
      },
      // Reload: the new process says "ready" after it listens (main.ts: process.send('ready'));
      // pm2 waits at most listen_timeout for it before moving on.
      wait_ready: true,
      listen_timeout: 15_000,
      // Then the old process gets SIGINT: it stops accepting, closes sockets with 1012 (clients
      // reconnect, keep their login), commits what is in flight and exits. Shutdown is bounded at a
      // few seconds; kill_timeout is the hard stop after which pm2 sends SIGKILL.
      kill_signal: 'SIGTERM',
      kill_timeout: 15_000,
      // A crash loop backs off instead of hammering the database.
      exp_backoff_restart_delay: 200,
      max_memory_restart: process.env.MINIIM_MAX_MEMORY ?? '1G',
      merge_logs: true,
      // pino writes JSON lines; pm2 adds no prefix of its own.
      time: false,
    },
  ],
};
