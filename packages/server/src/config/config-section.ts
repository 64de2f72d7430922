/**
 * How a feature adds its keys to the server config without `config/` importing
 * the feature: the feature exports a `ConfigSection` (flat env names, nested env
 * folding, cross-field checks) next to its zod schema, and `server-config.ts`
 * passes the sections and the extended schema to `parseConfig`.
 */

/** What a feature contributes to config loading, typed by the full parsed config `C`. */
export interface ConfigSection<C> {
  /** Flat environment variable → top-level config key. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Folds the feature's structured env variables into its section of the raw
   * config (file / overrides); returns dotted config paths → env names, for
   * error messages. Throws EnvValueError for a value that cannot be folded.
   */
  foldEnv?(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): ReadonlyMap<string, string>;
  /** Cross-field checks after parsing; throws ConfigError with a one-line message. */
  check?(config: C): void;
}

/** Thrown for an env value that cannot be folded; `envName` is the variable. */
export class EnvValueError extends Error {
  constructor(
    readonly envName: string,
    message: string,
  ) {
    super(message);
  }
}

type Obj = Record<string, unknown>;

/** A copy of `raw[key]` when it is an object (else `{}`), put back into `raw`: the section env values go into. */
export function envSection(raw: Obj, key: string): Obj {
  const v = raw[key];
  const s: Obj = isObject(v) ? structuredClone(v) : {};
  raw[key] = s;
  return s;
}

/** `parent[key]` as an object (created, with `enabled: false`, when absent): a pipeline stage. */
export function envStage(parent: Obj, key: string): Obj {
  const v = parent[key];
  const s: Obj = isObject(v) ? v : {};
  if (s.enabled === undefined) s.enabled = false;
  parent[key] = s;
  return s;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ON = ['1', 'true', 'on', 'yes'];
const OFF = ['0', 'false', 'off', 'no'];

/** A boolean env value (1/0, true/false, on/off, yes/no), or undefined when it is none of those. */
export function envFlag(v: string): boolean | undefined {
  const lower = v.toLowerCase();
  if (ON.includes(lower)) return true;
  if (OFF.includes(lower)) return false;
  return undefined;
}

/** The env variable's value, or undefined when unset or empty. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v !== undefined && v !== '' ? v : undefined;
}

/** True when any variable starting with `prefix` is set (non-empty). */
export function hasEnvPrefix(env: NodeJS.ProcessEnv, prefix: string): boolean {
  return Object.keys(env).some((k) => k.startsWith(prefix) && envValue(env, k) !== undefined);
}
