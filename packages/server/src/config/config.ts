/**
 * The shared configuration schema with defaults, read from an optional JSON file
 * (MINIIM_CONFIG) and the environment (env wins). Invalid config stops start-up
 * with one line naming the key. Features (WeChat, moderation) add their own keys
 * through a `ConfigSection`; this folder imports no feature code — the server's
 * full schema is put together in `server-config.ts`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { type ConfigSection, EnvValueError } from './config-section.js';

const bool = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])])
  .transform((v) => (typeof v === 'boolean' ? v : ['1', 'true', 'on', 'yes'].includes(v)));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.union([z.array(z.string()), z.string()]).transform((v) =>
  Array.isArray(v)
    ? v
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
);

export const ConfigSchema = z.object({
  production: z.boolean(),
  port: int(0, 65535).default(8080),
  /** Listen address: 127.0.0.1 in development (like Vite), 0.0.0.0 in production. */
  host: z.string().min(1).optional(),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z.string().url().optional(),
  /** PostgreSQL/MySQL: connections in the pool, statement time limit, connect time limit (docs/storage.md). */
  dbPool: int(2, 1000).default(10),
  dbStatementTimeoutMs: int(100, 3_600_000).default(15_000),
  dbConnectTimeoutMs: int(100, 600_000).default(5_000),
  redisUrl: z.string().url().optional(),
  /** Prefix of the cluster's Redis keys and channel (several clusters can share one Redis). */
  redisPrefix: z.string().min(1).max(100).default('miniim:'),
  /** Cluster presence: a node that stops heartbeating has its users read offline after this long. */
  presenceTtlMs: int(1000, 600_000).default(15_000),
  tokenSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  tokenTtlSec: int(60, 365 * 24 * 3600).default(7 * 24 * 3600),
  devLogin: bool.optional(),
  adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  wsPath: z.string().startsWith('/').default('/ws'),
  heartbeatMs: int(1000, 600_000).default(25_000),
  maxFrameBytes: int(1024, 16 * 1024 * 1024).default(64 * 1024),
  maxBodyBytes: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  recallWindowMs: int(0, 30 * 24 * 3600 * 1000).default(120_000),
  rateLimits: bool.default(true),
  /** Sustained frames per second one socket may send; bursts up to 2x are allowed. */
  socketFramesPerSec: int(1, 100_000).default(50),
  maxGroupSize: int(2, 100_000).default(2000),
  mediaAllowHosts: list.default([]),
  /** Media uploads: store, per-kind limits (bytes), quota, signed URLs (docs/media.md). */
  mediaStore: z.enum(['local', 's3']).default('local'),
  s3Endpoint: z.string().url().optional(),
  s3Bucket: z.string().min(1).optional(),
  s3Region: z.string().min(1).default('us-east-1'),
  s3AccessKeyId: z.string().min(1).optional(),
  s3SecretAccessKey: z.string().min(1).optional(),
  s3ForcePathStyle: bool.default(true),
  s3PublicUrl: z.string().url().optional(),
  mediaMaxImageBytes: int(1024, 1024 ** 3).default(10 * 1024 * 1024),
  mediaMaxVideoBytes: int(1024, 1024 ** 3).default(25 * 1024 * 1024),
  mediaMaxAudioBytes: int(1024, 1024 ** 3).default(5 * 1024 * 1024),
  mediaMaxFileBytes: int(1024, 1024 ** 3).default(25 * 1024 * 1024),
  mediaFileMimes: list.default([]),
  mediaQuotaBytesPerDay: int(0, Number.MAX_SAFE_INTEGER).default(1024 ** 3),
  mediaUploadsPerMinute: int(0, 1_000_000).default(30),
  /** Signs media read links; generated into the data dir in development, required in production. */
  mediaSignedUrlSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  mediaSignedUrlTtlSec: int(60, 365 * 24 * 3600).default(7 * 24 * 3600),
  publicBaseUrl: z.string().url().optional(),
  /**
   * Proxies whose X-Forwarded-For/-Proto/-Host are believed (IPs or CIDRs, e.g. `127.0.0.1,10.0.0.0/8`);
   * empty (default): forwarded headers are ignored and the socket's peer is the client.
   */
  trustProxy: list.default([]),
  webDir: z.string().optional(),
  /** Most sockets one user may hold on a node; a newer one closes the oldest with 4409. */
  maxSocketsPerUser: int(1, 100_000).default(10),
  /** Browser origins (besides the server's own) allowed to open WebSockets; `*` allows any. */
  allowedOrigins: list.default([]),
  /** Origins granted CORS on the HTTP API (off when empty); `*` allows any. */
  corsOrigins: list.default([]),
  /** Serve /metrics to anyone (default outside production); else loopback or the admin token only. */
  metricsPublic: bool.optional(),
  /** Collect and serve Prometheus metrics at all (off: /metrics is not served, nothing is counted for it). */
  metrics: bool.default(true),
  /** When set, /metrics answers only `Authorization: Bearer <token>` (or the admin token), loopback included. */
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Serve /metrics on its own listener (this port, MINIIM_METRICS_HOST) and not on the API port. */
  metricsPort: int(0, 65535).optional(),
  /** Address of the metrics listener (default 127.0.0.1). */
  metricsHost: z.string().min(1).optional(),
  /** Run pending database migrations at start (off: start refuses a database that is behind; run `miniim migrate`). */
  migrateAtStart: bool.default(true),
  maxSocketBufferBytes: int(64 * 1024, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Per-stage timings of message commits on /metrics (`miniim_commit_*_seconds`); off by default. */
  commitStats: bool.default(false),
  /**
   * Commit delay (ms, fractions allowed; 0: off): under a steady stream of messages a commit waits
   * up to this long for more (core/group-committer.ts). Unset: the storage's default (SQLite 3, else off).
   */
  commitDelayMs: z.coerce.number().min(0).max(100).optional(),
  /**
   * Messages the arrival rate must predict within the commit delay for a commit to wait. Unset: the
   * storage's default, scaled with commitDelayMs (the band of rates where a commit waits stays put).
   */
  commitDelaySiblings: int(1, 1000).optional(),
});

/** The shared config as the server uses it: dev login resolved, data dir absolute. */
export type Config = Resolved<z.infer<typeof ConfigSchema>>;

/** A parsed config with `devLogin` and `host` decided (defaults: loopback and on, outside production). */
export type Resolved<T extends { devLogin?: boolean; host?: string }> = Omit<T, 'devLogin' | 'host'> & { devLogin: boolean; host: string };

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

/** Environment variable → config key. */
export const ENV_KEYS: Record<string, keyof z.input<typeof ConfigSchema>> = {
  PORT: 'port',
  HOST: 'host',
  MINIIM_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  MINIIM_DB_POOL: 'dbPool',
  MINIIM_DB_STATEMENT_TIMEOUT_MS: 'dbStatementTimeoutMs',
  MINIIM_DB_CONNECT_TIMEOUT_MS: 'dbConnectTimeoutMs',
  REDIS_URL: 'redisUrl',
  MINIIM_REDIS_PREFIX: 'redisPrefix',
  MINIIM_PRESENCE_TTL_MS: 'presenceTtlMs',
  MINIIM_TOKEN_SECRET: 'tokenSecret',
  MINIIM_TOKEN_TTL_SEC: 'tokenTtlSec',
  MINIIM_DEV_LOGIN: 'devLogin',
  MINIIM_ADMIN_TOKEN: 'adminToken',
  MINIIM_LOG_LEVEL: 'logLevel',
  MINIIM_WS_PATH: 'wsPath',
  MINIIM_HEARTBEAT_MS: 'heartbeatMs',
  MINIIM_MAX_FRAME_BYTES: 'maxFrameBytes',
  MINIIM_MAX_BODY_BYTES: 'maxBodyBytes',
  MINIIM_RECALL_WINDOW_MS: 'recallWindowMs',
  MINIIM_RATE_LIMITS: 'rateLimits',
  MINIIM_SOCKET_FRAMES_PER_SEC: 'socketFramesPerSec',
  MINIIM_MAX_GROUP_SIZE: 'maxGroupSize',
  MINIIM_MEDIA_ALLOW_HOSTS: 'mediaAllowHosts',
  MINIIM_MEDIA_STORE: 'mediaStore',
  MINIIM_S3_ENDPOINT: 's3Endpoint',
  MINIIM_S3_BUCKET: 's3Bucket',
  MINIIM_S3_REGION: 's3Region',
  MINIIM_S3_ACCESS_KEY_ID: 's3AccessKeyId',
  MINIIM_S3_SECRET_ACCESS_KEY: 's3SecretAccessKey',
  MINIIM_S3_FORCE_PATH_STYLE: 's3ForcePathStyle',
  MINIIM_S3_PUBLIC_URL: 's3PublicUrl',
  MINIIM_MEDIA_MAX_IMAGE_BYTES: 'mediaMaxImageBytes',
  MINIIM_MEDIA_MAX_VIDEO_BYTES: 'mediaMaxVideoBytes',
  MINIIM_MEDIA_MAX_AUDIO_BYTES: 'mediaMaxAudioBytes',
  MINIIM_MEDIA_MAX_FILE_BYTES: 'mediaMaxFileBytes',
  MINIIM_MEDIA_FILE_MIMES: 'mediaFileMimes',
  MINIIM_MEDIA_QUOTA_BYTES_PER_DAY: 'mediaQuotaBytesPerDay',
  MINIIM_MEDIA_UPLOADS_PER_MINUTE: 'mediaUploadsPerMinute',
  MINIIM_MEDIA_SIGNED_URL_SECRET: 'mediaSignedUrlSecret',
  MINIIM_MEDIA_SIGNED_URL_TTL_SEC: 'mediaSignedUrlTtlSec',
  MINIIM_PUBLIC_URL: 'publicBaseUrl',
  MINIIM_TRUST_PROXY: 'trustProxy',
  MINIIM_WEB_DIR: 'webDir',
  MINIIM_ALLOWED_ORIGINS: 'allowedOrigins',
  MINIIM_MAX_SOCKETS_PER_USER: 'maxSocketsPerUser',
  MINIIM_CORS_ORIGINS: 'corsOrigins',
  MINIIM_METRICS_PUBLIC: 'metricsPublic',
  MINIIM_COMMIT_STATS: 'commitStats',
  MINIIM_COMMIT_DELAY_MS: 'commitDelayMs',
  MINIIM_COMMIT_DELAY_SIBLINGS: 'commitDelaySiblings',
  MINIIM_METRICS: 'metrics',
  MINIIM_METRICS_TOKEN: 'metricsToken',
  MINIIM_METRICS_PORT: 'metricsPort',
  MINIIM_METRICS_HOST: 'metricsHost',
  MINIIM_MIGRATE_AT_START: 'migrateAtStart',
};

/** Thrown for invalid configuration; the message is one line naming the key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the config from (lowest to highest precedence) defaults, the JSON file
 * named by MINIIM_CONFIG, the environment, then `overrides` (for tests and embedding).
 * `schema` is `ConfigSchema` or an extension of it with the keys of `sections`.
 */
export function parseConfig<S extends z.ZodType<z.output<typeof ConfigSchema>>>(
  schema: S,
  sections: readonly ConfigSection<z.output<S>>[],
  env: NodeJS.ProcessEnv = process.env,
  overrides: Record<string, unknown> = {},
): Resolved<z.output<S>> {
  const raw: Record<string, unknown> = {};
  const file = env.MINIIM_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`MINIIM_CONFIG: cannot read ${file}: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`MINIIM_CONFIG: ${file} must hold a JSON object`);
    }
    Object.assign(raw, parsed);
  }
  const fromEnv = new Map<string, string>();
  const envKeys: Record<string, string> = { ...ENV_KEYS };
  for (const s of sections) Object.assign(envKeys, s.env);
  for (const [name, key] of Object.entries(envKeys)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      raw[key] = v;
      fromEnv.set(key, name);
    }
  }
  const nested = new Map<string, string>();
  try {
    for (const s of sections) for (const [k, v] of s.foldEnv?.(raw, env) ?? []) nested.set(k, v);
  } catch (e) {
    if (e instanceof EnvValueError) throw new ConfigError(`invalid config ${e.envName}: ${e.message}`);
    throw e;
  }
  Object.assign(raw, overrides);
  raw.production = env.NODE_ENV === 'production' || overrides.production === true;

  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const dotted = issue.path.join('.');
    const name = nested.get(dotted) ?? fromEnv.get(key) ?? (dotted || key);
    throw new ConfigError(`invalid config ${name}: ${issue.message}`);
  }
  const c = result.data;
  const host = c.host ?? (c.production ? '0.0.0.0' : '127.0.0.1');
  // Dev login lets anyone log in as anyone: on by default only where no one else can reach it.
  const devLogin = c.devLogin ?? (!c.production && isLoopbackHost(host));
  if (c.production && devLogin) {
    throw new ConfigError('invalid config MINIIM_DEV_LOGIN: dev login must be off when NODE_ENV=production');
  }
  if (c.mediaStore === 's3') {
    for (const [key, name] of [
      ['s3Bucket', 'MINIIM_S3_BUCKET'],
      ['s3AccessKeyId', 'MINIIM_S3_ACCESS_KEY_ID'],
      ['s3SecretAccessKey', 'MINIIM_S3_SECRET_ACCESS_KEY'],
    ] as const) {
      if (!c[key]) throw new ConfigError(`invalid config ${name}: required when MINIIM_MEDIA_STORE=s3`);
    }
  }
  if (c.production && !c.tokenSecret) {
    throw new ConfigError('invalid config MINIIM_TOKEN_SECRET: required when NODE_ENV=production');
  }
  // Media read links are signed (media/media-setup.ts); only links to a public S3/CDN base are not ours to sign.
  if (c.production && !c.mediaSignedUrlSecret && !(c.mediaStore === 's3' && c.s3PublicUrl)) {
    throw new ConfigError(
      'invalid config MINIIM_MEDIA_SIGNED_URL_SECRET: required when NODE_ENV=production (media links are signed; e.g. `openssl rand -base64 32`)',
    );
  }
  checkMetrics(c);
  for (const s of sections) s.check?.(c);
  return { ...c, host, devLogin, dataDir: path.resolve(c.dataDir) };
}

/** How /metrics is exposed: the choices must not contradict each other. */
function checkMetrics(c: z.output<typeof ConfigSchema>): void {
  const set = (k: 'metricsToken' | 'metricsPort' | 'metricsHost') => c[k] !== undefined;
  if (!c.metrics) {
    const extra = (['metricsToken', 'metricsPort', 'metricsHost'] as const).find(set);
    if (extra) throw new ConfigError(`invalid config ${envName(extra)}: metrics are off (MINIIM_METRICS=0)`);
    return;
  }
  if (c.metricsHost !== undefined && c.metricsPort === undefined) {
    throw new ConfigError('invalid config MINIIM_METRICS_HOST: needs MINIIM_METRICS_PORT (the metrics listener)');
  }
  if (c.metricsPort !== undefined && c.metricsPort !== 0 && c.metricsPort === c.port) {
    throw new ConfigError('invalid config MINIIM_METRICS_PORT: must differ from PORT');
  }
  if (c.metricsPublic === true && c.metricsToken !== undefined) {
    throw new ConfigError('invalid config MINIIM_METRICS_PUBLIC: cannot be on together with MINIIM_METRICS_TOKEN');
  }
}

function envName(key: string): string {
  return Object.entries(ENV_KEYS).find(([, k]) => k === key)?.[0] ?? key;
}

/** The shared config alone (no feature sections). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Config {
  return parseConfig(ConfigSchema, [], env, overrides);
}
