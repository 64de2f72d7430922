/**
 * How the drivers' failures are told apart: a database that cannot be reached (or a
 * statement it cancelled) is `unavailable` — nothing was written, safe to retry — while
 * anything else is a bug. One list for every driver, read by core/errors.ts.
 */

/** Thrown when the database cannot be reached at start; the message is one line naming the URL (password redacted). */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/** PostgreSQL SQLSTATEs: connection exceptions (08…), operator intervention (57…), too many connections, query cancelled by statement_timeout. */
const PG_STATES = /^(08|57P0|53300|57014)/;
/** Node socket errors and mysql2's connection-level codes (server gone, timeouts, statement time limits). */
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_TIMEOUT',
  'ER_STATEMENT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'ER_LOCK_WAIT_TIMEOUT',
]);
const MESSAGES =
  /database connection is not open|Connection is closed|Connection terminated|timeout exceeded when trying to connect|Can't add new command when connection is in closed state|Pool is closed|connect ETIMEDOUT|Client has encountered a connection error|Cannot use a pool after calling end|driver has already been destroyed/i;

/** Whether `err` means "the database is unreachable or refused the work for now" (not a bug). */
export function isStorageUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; message?: string; errors?: unknown[] } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'StorageUnavailableError') return true;
  if (e.name === 'SqliteError' || (typeof e.code === 'string' && e.code.startsWith('SQLITE_'))) return true;
  if (typeof e.code === 'string' && (CODES.has(e.code) || (e.code.length === 5 && PG_STATES.test(e.code)))) return true;
  // AggregateError (a connect that tried IPv4 and IPv6) carries the socket errors inside.
  if (Array.isArray(e.errors) && e.errors.some(isStorageUnavailable)) return true;
  return MESSAGES.test(e.message ?? '');
}

/** The URL with its password replaced by `***`, for logs and start-up errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
  }
}
