/**
 * Cluster test helpers: a fresh PostgreSQL database (CREATE DATABASE, not a schema, so
 * other runs' schemas in the shared database never meet this one's migrations), and
 * several in-process nodes on it and one Redis key prefix.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SERVICE_URLS } from './databases.js';
import { freshRedisPrefix, REDIS_URL } from './redis.js';
import { onCleanup, startServer, type TestServer } from './server.js';

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: SERVICE_URLS.postgres, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Creates a database with a random name, dropped after the current test; returns its URL. */
export async function freshPostgresDatabase(): Promise<string> {
  const name = `miniim_c_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  onCleanup(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(SERVICE_URLS.postgres);
  url.pathname = `/${name}`;
  return url.toString();
}

/** `n` in-process nodes sharing one fresh PostgreSQL database, one Redis prefix and one token secret. */
export async function startCluster(n: number, overrides: Record<string, unknown> = {}): Promise<TestServer[]> {
  const databaseUrl = await freshPostgresDatabase();
  const shared = {
    databaseUrl,
    redisUrl: REDIS_URL,
    redisPrefix: freshRedisPrefix(),
    tokenSecret: randomBytes(24).toString('base64url'),
    presenceTtlMs: 2000,
    ...overrides,
  };
  const nodes: TestServer[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startServer(shared));
  return nodes;
}
