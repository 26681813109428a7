/**
 * Pure mapping from postgres.js options (as postgres.js itself parsed them:
 * URL, environment and defaults applied) to a pgmonkey config, a connection
 * type and the postgres.js options passed through to every connection. No
 * I/O here; `./postgres.ts` does the rest.
 *
 * | postgres.js | pgmonkey |
 * |---|---|
 * | `max: 1` | connection type `normal` (one dedicated connection) |
 * | `max: n` (default 10) | type `pool`, `pool_settings.max_size: n`, `min_size: 0` |
 * | `idle_timeout` (s; null/0: never) | `pool_settings.max_idle` (pool only) |
 * | `max_lifetime` (s; null: never) | `pool_settings.max_lifetime` (pool only) |
 * | `connect_timeout` (s, fractions allowed) | connect timeout per attempt, exactly |
 * | `host`/`port` lists, `path`, URL | `connection_settings.host` / `port` (comma lists, in postgres.js's host order: see `HostRotation`), socket directory |
 * | `socket` (a function returning a connected socket) | called for every connection instead of connecting; TLS is negotiated on it |
 * | `user`, `pass`, `database` | `user`, `password`, `dbname` |
 * | `ssl: false` (default) | `sslmode: disable` |
 * | `ssl: 'prefer' / 'require' / 'allow'` | the libpq sslmode of that name |
 * | `ssl: 'verify-full'`, `true` | `verify-full`, roots from `sslrootcert` or else the system store |
 * | `ssl: { rejectUnauthorized: false }` | `require` |
 * | `sslnegotiation`, `target_session_attrs`, `keep_alive` | the libpq settings of those names |
 * | libpq keywords in `connection` / the URL query (`application_name`, `sslrootcert`, `options`…) | `connection_settings` |
 * | other `connection` entries | startup parameters, as in postgres.js |
 * | `transform`, `types`, `onnotice`, `onnotify`, `onparameter`, `debug`, `fetch_types`, `prepare`, `max_pipeline`, `backoff`, `publications` | passed through |
 *
 * @module
 */
import type { RawConfig } from "../config/types.ts";
import { CONNECTION_SETTING_KEYS, LIBPQ_EXTRA_SETTING_KEYS } from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import { PASSTHROUGH_POSTGRES_OPTIONS, type PostgresPassthrough } from "../connect/options.ts";

/** The parts of postgres.js's parsed options (`sql.options`) the mapping reads. */
export interface ParsedPostgresOptions {
  host: string[];
  port: number[];
  path?: string | false;
  database: string;
  user: unknown;
  ssl?: unknown;
  sslnegotiation?: string | null;
  max: number;
  idle_timeout?: unknown;
  max_lifetime?: unknown;
  connect_timeout?: unknown;
  keep_alive?: unknown;
  target_session_attrs?: string | null;
  connection: Record<string, unknown>;
  transform?: unknown;
  types?: unknown;
  onnotice?: unknown;
  onnotify?: unknown;
  onparameter?: unknown;
  debug?: unknown;
  fetch_types?: boolean;
  prepare?: boolean;
  max_pipeline?: number;
  backoff?: unknown;
  publications?: string;
}

/** pgmonkey pool settings a caller may add under the `pgmonkey` option of the adapter. */
export interface CompatPoolOptions {
  /** Seconds a statement or borrower waits for a connection (pgmonkey default 30). */
  timeout?: number;
  /** Connections kept open even when idle (default 0, as postgres.js). */
  min_size?: number;
  /** Run `SELECT 1` before `reserve()` hands a connection out. */
  check_on_checkout?: boolean;
  /** Most callers allowed to wait at once (0: unlimited). */
  max_waiting?: number;
}

/** What the adapter opens. */
export interface CompatPlan {
  /** `normal` for `max: 1`, else `pool`. */
  connectionType: "normal" | "pool";
  /** The pgmonkey config (validated by `validateConfig` when the handle opens). */
  config: RawConfig;
  /** postgres.js options for every connection. */
  postgres: PostgresPassthrough;
  /** Seconds per connection attempt (postgres.js's `connect_timeout`, exactly; 0: pgmonkey's default). */
  connectTimeout: number;
}

/** postgres.js options the adapter cannot carry out through pgmonkey's transport. */
export const UNSUPPORTED_OPTIONS: Readonly<Record<string, string>> = {
  onclose: "pgmonkey replaces lost connections itself; watch db.stats() instead",
};

/** Keys of `connection` / the URL query that are libpq settings, not startup parameters. */
const LIBPQ_KEYS = new Set(
  [...CONNECTION_SETTING_KEYS, ...LIBPQ_EXTRA_SETTING_KEYS].filter(
    (k) =>
      !["user", "password", "host", "port", "dbname", "sslmode", "connect_timeout", "autocommit"]
        .includes(k),
  ),
);

/**
 * Refuses options the adapter cannot honour, with one line naming the
 * option. Called when `postgres()` is called, like a typo'd config key.
 *
 * @example
 * ```ts
 * import { checkCompatOptions } from "./options.ts";
 * checkCompatOptions({ max: 4 }); // fine
 * ```
 */
export function checkCompatOptions(given: Record<string, unknown>): void {
  for (const [key, why] of Object.entries(UNSUPPORTED_OPTIONS)) {
    if (given[key] !== undefined && given[key] !== null) {
      throw new ConfigError(`postgres.js option "${key}" is not supported: ${why}`, {
        key: `postgres.${key}`,
      });
    }
  }
  sslMode(given.ssl, undefined);
  const pool = given.pgmonkey;
  if (pool === undefined || pool === null) return;
  if (typeof pool !== "object" || Array.isArray(pool)) {
    throw new ConfigError(`expected an object of pool settings (${POOL_KEYS.join(", ")})`, {
      key: "postgres.pgmonkey",
    });
  }
  for (const key of Object.keys(pool)) {
    if (!POOL_KEYS.includes(key)) {
      throw new ConfigError(`unknown pool setting "${key}" (accepted: ${POOL_KEYS.join(", ")})`, {
        key: `postgres.pgmonkey.${key}`,
      });
    }
  }
}

/** The keys of {@link CompatPoolOptions}. */
const POOL_KEYS = ["timeout", "min_size", "check_on_checkout", "max_waiting"];

/** postgres.js's default NOTICE handler. */
function logNotice(notice: unknown): void {
  console.log(notice);
}

/** A number of seconds from a postgres.js option (numbers, numeric strings, `valueOf` objects). */
function seconds(value: unknown): number | undefined {
  if (value === null || value === undefined || value === false) return undefined;
  const n = typeof value === "function" ? Number(value()) : Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The libpq sslmode for postgres.js's `ssl` option (`rootcert`: an `sslrootcert` given). */
function sslMode(ssl: unknown, rootcert: unknown): { sslmode: string; sslrootcert?: string } {
  if (ssl === undefined || ssl === null || ssl === false || ssl === "disable") {
    return { sslmode: "disable" };
  }
  if (ssl === true || ssl === "verify-full") {
    return { sslmode: "verify-full", ...(rootcert === undefined ? { sslrootcert: "system" } : {}) };
  }
  if (typeof ssl === "string") {
    if (["allow", "prefer", "require", "verify-ca"].includes(ssl)) return { sslmode: ssl };
    throw new ConfigError(
      `postgres.js option "ssl" is ${JSON.stringify(ssl)}; expected false, true, "disable", ` +
        `"allow", "prefer", "require", "verify-ca", "verify-full" or { rejectUnauthorized: false }`,
      { key: "postgres.ssl" },
    );
  }
  if (typeof ssl === "object") {
    const keys = Object.keys(ssl as object);
    if (
      keys.length === 1 && (ssl as { rejectUnauthorized?: unknown }).rejectUnauthorized === false
    ) {
      return { sslmode: "require" };
    }
    throw new ConfigError(
      `postgres.js option "ssl" as TLS options (${keys.join(", ") || "empty"}) is not ` +
        `supported; use { rejectUnauthorized: false }, an sslmode string, or the libpq ` +
        `settings sslrootcert / sslcert / sslkey (file paths) in the URL or "connection"`,
      { key: "postgres.ssl" },
    );
  }
  throw new ConfigError(`postgres.js option "ssl" has an unsupported value`, {
    key: "postgres.ssl",
  });
}

/** Socket directory and port of postgres.js's `path` (`/dir/.s.PGSQL.5432`). */
function socketOf(path: string): { host: string; port: number } {
  const m = /^(.*)\/\.s\.PGSQL\.(\d+)$/.exec(path);
  if (!m) {
    throw new ConfigError(
      `postgres.js option "path" is "${path}"; expected a PostgreSQL socket file ` +
        `(<directory>/.s.PGSQL.<port>)`,
      { key: "postgres.path" },
    );
  }
  return { host: m[1] || "/", port: Number(m[2]) };
}

/**
 * Maps parsed postgres.js options onto pgmonkey. `password` is the resolved
 * password (postgres.js's `pass` may be a function; the caller calls it).
 *
 * @example
 * ```ts
 * import { planCompat } from "./options.ts";
 * const plan = planCompat({
 *   host: ["db"], port: [5432], database: "app", user: "app", max: 4,
 *   idle_timeout: 20, connection: { application_name: "api" },
 * }, "s3cret");
 * console.log(plan.connectionType, plan.config.pool_settings); // pool { max_size: 4, min_size: 0, max_idle: 20 }
 * ```
 */
export function planCompat(
  o: ParsedPostgresOptions,
  password: string | undefined,
  pool: CompatPoolOptions = {},
): CompatPlan {
  const settings: Record<string, unknown> = {};
  const connection: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o.connection ?? {})) {
    if (LIBPQ_KEYS.has(k)) settings[k] = v;
    else connection[k] = v;
  }
  if (typeof o.path === "string" && o.path !== "") {
    const socket = socketOf(o.path);
    settings.host = socket.host;
    settings.port = socket.port;
  } else {
    settings.host = o.host.join(",");
    settings.port = o.port.map(String).join(",");
  }
  settings.user = String(o.user);
  if (password) settings.password = password;
  settings.dbname = String(o.database);
  Object.assign(settings, sslMode(o.ssl, settings.sslrootcert));
  if (o.sslnegotiation) settings.sslnegotiation = o.sslnegotiation;
  if (o.target_session_attrs) settings.target_session_attrs = o.target_session_attrs;
  // libpq's own keepalive settings (from the URL or `connection`) win over keep_alive.
  if (settings.keepalives === undefined && settings.keepalives_idle === undefined) {
    const keepAlive = seconds(o.keep_alive);
    if (keepAlive === undefined) settings.keepalives = false;
    else settings.keepalives_idle = keepAlive;
  }
  const connectTimeout = seconds(o.connect_timeout) ?? 0;

  const connectionType = o.max === 1 ? "normal" : "pool";
  const config: RawConfig = { connection_type: connectionType, connection_settings: settings };
  if (connectionType === "pool") {
    const p: Record<string, unknown> = { max_size: o.max, min_size: 0 };
    const idle = seconds(o.idle_timeout);
    if (idle !== undefined) p.max_idle = idle;
    const lifetime = seconds(o.max_lifetime);
    if (lifetime !== undefined) p.max_lifetime = lifetime;
    config.pool_settings = { ...p, ...pool };
  }
  // postgres.js logs NOTICEs with console.log unless told otherwise.
  const passthrough: Record<string, unknown> = { connection, onnotice: logNotice };
  for (const key of PASSTHROUGH_POSTGRES_OPTIONS) {
    const value = (o as unknown as Record<string, unknown>)[key];
    if (key !== "connection" && value !== undefined && value !== null) passthrough[key] = value;
  }
  return {
    connectionType,
    config,
    postgres: passthrough as PostgresPassthrough,
    connectTimeout,
  };
}
