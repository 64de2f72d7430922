/**
 * `miniim migrate`: runs the pending schema migrations of the configured database and
 * exits (for deployments that start with MINIIM_MIGRATE_AT_START=0). Safe to run while
 * other nodes are up and on several hosts at once: PostgreSQL and MySQL take a lock, so
 * each migration runs once.
 */
import { loadServerConfig } from '../server-config.js';
import { openSchema, storageDriverFor } from '../storage/registry.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
}

/** Returns the exit code. */
export async function runMigrate(io: CliIo): Promise<number> {
  const config = loadServerConfig(io.env);
  const kind = storageDriverFor(config.databaseUrl).schemes[0]!.replace(':', '');
  const schema = await openSchema(config);
  try {
    const before = await schema.status();
    if (before.pending.length === 0) {
      io.out(`miniim migrate: ${kind} schema is up to date (${before.applied.length} migrations applied)`);
      return 0;
    }
    const ran = await schema.migrate();
    for (const name of ran) io.out(`applied ${name}`);
    io.out(`miniim migrate: ${kind} schema is up to date (${ran.length} applied now, ${before.applied.length + ran.length} in all)`);
    return 0;
  } finally {
    await schema.close();
  }
}
