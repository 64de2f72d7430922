/**
 * Fresh PostgreSQL / MySQL databases for bench targets that store there: created before
 * the server starts (random name), dropped after it stops. Service URLs from
 * BENCH_POSTGRES_URL / BENCH_MYSQL_URL, defaulting to the local services.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

export type BenchDatabase = 'postgres' | 'mysql';

const SERVICE: Record<BenchDatabase, string> = {
  postgres: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
};

async function exec(kind: BenchDatabase, q: string): Promise<void> {
  if (kind === 'postgres') {
    const c = new pg.Client({ connectionString: SERVICE.postgres });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  } else {
    const c = await mysql.createConnection({ uri: SERVICE.mysql });
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  }
}

/** Creates the database; returns its URL and a function that drops it. */
export async function createBenchDatabase(kind: BenchDatabase): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `miniim_bench_${randomBytes(5).toString('hex')}`;
  await exec(
    kind,
    kind === 'postgres' ? `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'` : `CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  );
  const url = new URL(SERVICE[kind]);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => exec(kind, kind === 'postgres' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`),
  };
}
