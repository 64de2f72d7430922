#!/usr/bin/env node
/**
 * The black-box integration tests that exercise storage, run against a server on
 * PostgreSQL and on MySQL/MariaDB (a fresh database per server; see
 * packages/server/test/support/server.ts, MINIIM_TEST_STORAGE). Files run in parallel.
 * Left out: tests of parts that do not touch storage (media blob routes, proxy headers,
 * config).
 * Usage: node scripts/test-storage-backends.mjs [postgres|mysql ...]
 */
import { spawnSync } from 'node:child_process';

const FILES = [
  'admin-api',
  'admin-content',
  'bad-input',
  'direct-chat',
  'graceful-shutdown',
  'group-fanout',
  'groups',
  'http-api',
  'media-messages',
  'media-recall',
  'process',
  'request-flow',
  'slow-consumer',
  'user-profiles',
  'wechat-login',
  'wechat-moderation',
  'wechat-phone',
  'wechat-push',
  'wechat-subscribe',
].map((f) => `packages/server/test/integration/${f}.test.ts`);

const backends = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['postgres', 'mysql'];
for (const backend of backends) {
  process.stdout.write(`\n=== integration tests on ${backend} ===\n`);
  const r = spawnSync('npx', ['vitest', 'run', ...FILES], { stdio: 'inherit', env: { ...process.env, MINIIM_TEST_STORAGE: backend } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
