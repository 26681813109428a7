/**
 * Pure mapping from a validated pgmonkey config to what the connection layer
 * needs: the pool policy, the host list, and the postgres.js options of each
 * connection (every option postgres.js would otherwise read from the
 * environment is given explicitly). No I/O here.
 *
 * @module
 */
import type {
  ConnectionSettings,
  ConnectionType,
  JsSettings,
  PgMonkeyConfig,
  PoolSettings,
  SessionSettings,
} from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import type { Endpoint } from "./transport/negotiate.ts";

/** psycopg_pool's defaults, which pgmonkey (Python) users rely on. */
export const POOL_DEFAULTS = {
  min_size: 4,
  timeout: 30,
  max_idle: 600,
  max_lifetime: 3600,
} as const;

/** Seconds a connection attempt may take when `connect_timeout` is not set. */
export const DEFAULT_CONNECT_TIMEOUT = 30;

/** What the pool layer enforces for `pool` / `async_pool` (seconds). */
export interface PoolPolicy {
  /** Connections opened at creation and kept open. */
  minSize: number;
  /** Most connections ever open at once. */
  maxSize: number;
  /** Seconds to wait for a free connection in `transaction()` / `acquire()`. */
  timeout: number;
  /** Seconds an idle connection above `minSize` stays open. */
  maxIdle: number;
  /** Seconds after which a connection is retired (when idle). */
  maxLifetime: number;
  /** Validate a connection before `acquire()` hands it out. */
  checkOnCheckout: boolean;
  /** Most callers allowed to wait at once; 0 = unlimited. */
  maxWaiting: number;
}

/** Everything needed to open connections of one type. */
export interface ConnectionPlan {
  /** The connection type. */
  type: ConnectionType;
  /** True for `pool` and `async_pool`. */
  pooled: boolean;
  /** `transaction()` runs without BEGIN (only `normal` / `async` honour it). */
  autocommit: boolean;
  /** Session settings (GUCs) sent as startup parameters. */
  session: SessionSettings;
  /** Where the session settings came from, for error messages. */
  sessionSection: "sync_settings" | "async_settings";
  /** Pool policy; a dedicated connection is a pool of exactly one. */
  pool: PoolPolicy;
  /** Connection parameters. */
  settings: ConnectionSettings;
  /** This library's own settings (`js_settings`). */
  js: JsSettings;
  /**
   * Behind PgBouncer in transaction pooling mode: session settings go into
   * each transaction with `SET LOCAL` (see {@link setLocalStatements}) instead
   * of the startup packet; no named prepared statements.
   */
  pgbouncer: boolean;
}

/** Startup parameters PgBouncer accepts besides `application_name` (it tracks them). */
const PGBOUNCER_STARTUP = new Set([
  "client_encoding",
  "datestyle",
  "timezone",
  "standard_conforming_strings",
]);

/** True for the two pooled types. */
export function isPooled(type: ConnectionType): boolean {
  return type === "pool" || type === "async_pool";
}

/** Derives the pool policy from `pool_settings` / `async_pool_settings`. */
export function poolPolicy(p: PoolSettings): PoolPolicy {
  const minSize = p.min_size ?? POOL_DEFAULTS.min_size;
  const maxSize = p.max_size ?? Math.max(minSize, 1);
  return {
    minSize,
    maxSize: Math.max(maxSize, 1),
    timeout: p.timeout ?? POOL_DEFAULTS.timeout,
    maxIdle: p.max_idle ?? POOL_DEFAULTS.max_idle,
    maxLifetime: p.max_lifetime ?? POOL_DEFAULTS.max_lifetime,
    checkOnCheckout: p.check_on_checkout ?? false,
    maxWaiting: p.max_waiting ?? 0,
  };
}

/**
 * Builds the plan for one connection type, with the same section routing as
 * pgmonkey (Python): `sync_settings` for normal/pool, `async_settings` for
 * async/async_pool, and `autocommit` only for the two dedicated types.
 *
 * @example
 * ```ts
 * import { planConnection } from "./options.ts";
 * const plan = planConnection({
 *   connection_type: "pool",
 *   connection_settings: { host: "localhost" },
 *   sync_settings: { statement_timeout: "30s" },
 *   async_settings: {},
 *   pool_settings: { min_size: 2, max_size: 8 },
 *   async_pool_settings: {},
 *   js_settings: {},
 * }, "pool");
 * console.log(plan.pool.maxSize); // 8
 * ```
 */
export function planConnection(config: PgMonkeyConfig, type: ConnectionType): ConnectionPlan {
  const pooled = isPooled(type);
  const syncSide = type === "normal" || type === "pool";
  const dedicated: PoolPolicy = {
    minSize: 1,
    maxSize: 1,
    timeout: Infinity,
    maxIdle: Infinity,
    maxLifetime: Infinity,
    checkOnCheckout: false,
    maxWaiting: 0,
  };
  return {
    type,
    pooled,
    autocommit: !pooled && config.connection_settings.autocommit === true,
    session: syncSide ? config.sync_settings : config.async_settings,
    sessionSection: syncSide ? "sync_settings" : "async_settings",
    pool: pooled
      ? poolPolicy(type === "pool" ? config.pool_settings : config.async_pool_settings)
      : dedicated,
    settings: config.connection_settings,
    js: config.js_settings ?? {},
    pgbouncer: config.js_settings?.pgbouncer === true,
  };
}

/** A SQL string literal. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A SQL identifier (a setting name such as `statement_timeout` or `app.tenant`). */
function identifier(name: string): string {
  return name.split(".").map((part) => `"${part.replace(/"/g, '""')}"`).join(".");
}

/**
 * The session settings that cannot travel as startup parameters behind
 * PgBouncer, as `SET LOCAL` statements for the start of each transaction
 * (one string; empty when there are none).
 *
 * @example
 * ```ts
 * import { setLocalStatements } from "./options.ts";
 * setLocalStatements({ statement_timeout: "5s", TimeZone: "UTC" });
 * // 'SET LOCAL "statement_timeout" TO \'5s\'' (TimeZone stays a startup parameter)
 * ```
 */
export function setLocalStatements(session: Readonly<Record<string, string>>): string {
  return Object.entries(session)
    .filter(([name]) => !PGBOUNCER_STARTUP.has(name.toLowerCase()))
    .map(([name, value]) => `SET LOCAL ${identifier(name)} TO ${literal(value)}`)
    .join("; ");
}

/**
 * postgres.js options the layer owns (a caller may not pass them through
 * `postgres: {…}`): connection target, TLS, sizing, timers, the socket.
 */
export const OWNED_POSTGRES_OPTIONS: readonly string[] = [
  "host",
  "hostname",
  "port",
  "path",
  "database",
  "db",
  "user",
  "username",
  "pass",
  "password",
  "ssl",
  "sslnegotiation",
  "max",
  "idle_timeout",
  "max_lifetime",
  "connect_timeout",
  "keep_alive",
  "socket",
  "target_session_attrs",
  "onclose",
  "no_subscribe",
  "shared",
  "timeout",
  "no_prepare",
];

/** postgres.js options a caller may pass through `postgres: {…}`. */
export const PASSTHROUGH_POSTGRES_OPTIONS: readonly string[] = [
  "transform",
  "types",
  "onnotice",
  "onnotify",
  "onparameter",
  "debug",
  "fetch_types",
  "prepare",
  "max_pipeline",
  "connection",
  "backoff",
  "publications",
];

/** The postgres.js options a caller may set (see {@link PASSTHROUGH_POSTGRES_OPTIONS}). */
export type PostgresPassthrough =
  & Partial<
    Pick<
      import("postgres").Options<Record<string, import("postgres").PostgresType>>,
      | "transform"
      | "types"
      | "onnotice"
      | "onparameter"
      | "debug"
      | "fetch_types"
      | "prepare"
      | "connection"
      | "backoff"
      | "publications"
    >
  >
  & {
    /** Most queries pipelined on one connection (postgres.js default 100). */
    max_pipeline?: number;
    /** postgres.js's `onnotify` (notifications on borrowed connections that ran LISTEN). */
    onnotify?: (channel: string, payload: string) => void;
  };

/**
 * Checks the `postgres: {…}` options of `getDatabaseConnection`: the ones
 * the layer owns are refused with one clear line, unknown ones too.
 *
 * @throws {ConfigError} naming the option
 */
export function checkPassthrough(options: Record<string, unknown> | undefined): void {
  if (!options) return;
  for (const key of Object.keys(options)) {
    if (OWNED_POSTGRES_OPTIONS.includes(key)) {
      throw new ConfigError(
        `postgres.js option "${key}" is managed by pgmonkey (set it in the config file's ` +
          `connection_settings / pool settings instead)`,
        { key: `postgres.${key}` },
      );
    }
    if (!PASSTHROUGH_POSTGRES_OPTIONS.includes(key)) {
      throw new ConfigError(
        `unknown postgres.js option "${key}" (accepted: ${
          PASSTHROUGH_POSTGRES_OPTIONS.join(", ")
        })`,
        { key: `postgres.${key}` },
      );
    }
  }
}

/** What {@link connectionOptions} needs beyond the plan. */
export interface ConnectionOptionsInput {
  /** Role name (libpq's default already applied). */
  user: string;
  /** Database name (default: the role name). */
  database: string;
  /** The password, or a function returning it when a connection logs in. */
  pass: string | (() => string | Promise<string>);
  /** `application_name` to send (libpq's resolution applied; none when undefined). */
  applicationName?: string;
  /** Further startup parameters from libpq's environment (`options`, `TimeZone`, `DateStyle`, `geqo`). */
  startup?: Record<string, string>;
  /** postgres.js options passed through by the caller. */
  passthrough?: PostgresPassthrough;
  /** Where NOTICEs go when the caller did not set `onnotice`. */
  onnotice: (notice: Record<string, unknown>) => void;
}

/**
 * postgres.js options for one connection of `plan` to `endpoint`: one
 * connection per instance (`max: 1`), TLS and timers off (our transport and
 * pool do them), types fetched by us (see `_postgresjs/type_registry.ts`),
 * session settings and `application_name` as startup parameters. Every option
 * postgres.js would read from a `PG…` environment variable is set here.
 *
 * @example
 * ```ts
 * import { connectionOptions, planConnection } from "./options.ts";
 * const plan = planConnection({
 *   connection_type: "pool",
 *   connection_settings: { host: "db", application_name: "api" },
 *   sync_settings: { statement_timeout: "5s" },
 *   async_settings: {},
 *   pool_settings: {},
 *   async_pool_settings: {},
 *   js_settings: {},
 * }, "pool");
 * const o = connectionOptions(plan, { host: "db", port: 5432 }, {
 *   user: "app", database: "app", pass: "", onnotice: () => {},
 * });
 * console.log(o.max, o.connection); // 1 { application_name: "api", statement_timeout: "5s" }
 * ```
 */
export function connectionOptions(
  plan: ConnectionPlan,
  endpoint: Endpoint,
  input: ConnectionOptionsInput,
): Record<string, unknown> {
  const p = input.passthrough ?? {};
  const connection: Record<string, unknown> = {
    application_name: input.applicationName ?? plan.settings.application_name ?? "",
  };
  const startup = { ...input.startup, ...plan.session, ...p.connection as Record<string, string> };
  for (const [name, value] of Object.entries(startup)) {
    // Behind PgBouncer only what it accepts goes into the startup packet; the rest is SET LOCAL.
    if (!plan.pgbouncer || PGBOUNCER_STARTUP.has(name.toLowerCase())) connection[name] = value;
  }
  return {
    ...p,
    host: endpoint.host,
    port: endpoint.port,
    user: input.user,
    database: input.database,
    pass: input.pass,
    max: 1,
    ssl: false,
    sslnegotiation: null,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: 0,
    keep_alive: null,
    fetch_types: false,
    // Named prepared statements do not survive PgBouncer's transaction pooling.
    prepare: plan.pgbouncer ? false : p.prepare ?? true,
    max_pipeline: p.max_pipeline ?? 100,
    debug: p.debug ?? false,
    backoff: p.backoff ?? defaultBackoff,
    publications: p.publications ?? "alltables",
    target_session_attrs: null,
    onnotice: p.onnotice ?? input.onnotice,
    connection,
  };
}

/** postgres.js's own reconnect backoff (seconds), used by its LISTEN connection. */
function defaultBackoff(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 20);
}
