/**
 * Fresh PostgreSQL / MySQL databases for tests: each call creates a database with a
 * random name on the local service (URL from env, defaulting to 127.0.0.1) and drops it
 * after the test. Without the service the caller skips LOUDLY — and fails instead when
 * MINIIM_REQUIRE_SERVICES=1 (CI).
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import { createStorage } from '../../src/storage/registry.js';
import type { Storage } from '../../src/storage/storage.js';
import { onCleanup, tempDir } from './server.js';

export type NetworkBackend = 'postgres' | 'mysql';

/** Admin URLs of the services (a database the test may connect to, to create others). */
export const SERVICE_URLS: Record<NetworkBackend, string> = {
  postgres: process.env.MINIIM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.MINIIM_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
};

const requireServices = process.env.MINIIM_REQUIRE_SERVICES === '1';
const reachable = new Map<NetworkBackend, Promise<boolean>>();

/**
 * Whether the service answers. When it does not: throws under MINIIM_REQUIRE_SERVICES=1,
 * else prints a loud warning (once) and returns false so the caller skips.
 */
export function serviceAvailable(backend: NetworkBackend): Promise<boolean> {
  let p = reachable.get(backend);
  if (!p) {
    p = probe(backend).then((error) => {
      if (error === undefined) return true;
      const line = `${backend} at ${SERVICE_URLS[backend]} is unreachable (${error})`;
      if (requireServices) throw new Error(`MINIIM_REQUIRE_SERVICES=1 and ${line}`);
      process.stderr.write(`\n!!!!! SKIPPING ${backend} tests: ${line}. Set MINIIM_REQUIRE_SERVICES=1 to fail instead. !!!!!\n\n`);
      return false;
    });
    reachable.set(backend, p);
  }
  return p;
}

async function probe(backend: NetworkBackend): Promise<string | undefined> {
  try {
    await admin(backend, async () => {});
    return undefined;
  } catch (e) {
    return (e as Error).message || String(e);
  }
}

async function admin(backend: NetworkBackend, fn: (exec: (q: string) => Promise<unknown>) => Promise<void>): Promise<void> {
  if (backend === 'postgres') {
    const c = new pg.Client({ connectionString: SERVICE_URLS.postgres, connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      await fn((q) => c.query(q));
    } finally {
      await c.end();
    }
  } else {
    const c = await mysql.createConnection({ uri: SERVICE_URLS.mysql, connectTimeout: 3000 });
    try {
      await fn((q) => c.query(q));
    } finally {
      await c.end();
    }
  }
}

/**
 * Creates an empty database with a random name, dropped after the current test; returns its
 * URL. On PostgreSQL it is a schema of the service's database, chosen by the URL's
 * `search_path` (CREATE DATABASE costs about a second on a busy disk; a schema is free).
 */
export async function freshDatabase(backend: NetworkBackend): Promise<string> {
  const name = `miniim_t_${randomBytes(6).toString('hex')}`;
  const url = new URL(SERVICE_URLS[backend]);
  if (backend === 'postgres') {
    await admin(backend, (exec) => exec(`CREATE SCHEMA ${name}`).then(() => {}));
    onCleanup(() => admin(backend, (exec) => exec(`DROP SCHEMA IF EXISTS ${name} CASCADE`).then(() => {})));
    url.searchParams.set('options', `-c search_path=${name}`);
  } else {
    await admin(backend, (exec) => exec(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`).then(() => {}));
    onCleanup(() => admin(backend, (exec) => exec(`DROP DATABASE IF EXISTS ${name}`).then(() => {})));
    url.pathname = `/${name}`;
  }
  return url.toString();
}

/**
 * Opens the storage at `url` through the registry (as the server does), closed after the test.
 * A small pool: the services are shared by every engineer's tests (PostgreSQL allows 100 connections).
 */
export async function openStorageAt(url: string, overrides: Record<string, unknown> = {}): Promise<Storage> {
  const storage = await createStorage(loadConfig({}, { databaseUrl: url, dataDir: tempDir(), logLevel: 'silent', dbPool: 4, ...overrides }));
  onCleanup(() => storage.close());
  return storage;
}
