/**
 * Pure mapping from a validated pgmonkey config to postgres.js options and to
 * the pool policy our pool layer enforces. No I/O here.
 *
 * @module
 */
import type {
  ConnectionSettings,
  ConnectionType,
  PgMonkeyConfig,
  PoolSettings,
  SessionSettings,
} from "../config/types.ts";

/** psycopg_pool's defaults, which pgmonkey (Python) users rely on. */
export const POOL_DEFAULTS = {
  min_size: 4,
  timeout: 30,
  max_idle: 600,
  max_lifetime: 3600,
} as const;

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
}

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
  };
}

/** The subset of postgres.js options we set. */
export interface DriverOptions {
  host: string;
  port: number;
  database?: string;
  user?: string;
  password?: string;
  max: number;
  ssl: false;
  idle_timeout: null;
  max_lifetime: null;
  connect_timeout: number;
  keep_alive: number | null;
  connection: Record<string, string>;
  onnotice: (notice: unknown) => void;
  fetch_types: boolean;
  prepare: boolean;
}

/** libpq's defaults for what a config leaves out. */
export function defaultHost(s: ConnectionSettings): string {
  return s.host ?? "localhost";
}

/** TCP keepalive delay for postgres.js (`null` = off), from libpq's keys. */
export function keepAliveSeconds(s: ConnectionSettings): number | null {
  if (s.keepalives === false) return null;
  return s.keepalives_idle ?? 60;
}

/**
 * postgres.js options for a plan. TLS, idle and lifetime handling live in our
 * transport (passed as `socket`), so postgres.js's own are switched off.
 */
export function driverOptions(plan: ConnectionPlan): DriverOptions {
  const s = plan.settings;
  const connection: Record<string, string> = {};
  if (s.application_name !== undefined) connection.application_name = s.application_name;
  for (const [name, value] of Object.entries(plan.session)) connection[name] = value;
  return {
    host: defaultHost(s),
    port: s.port ?? 5432,
    database: s.dbname,
    user: s.user,
    password: s.password,
    max: plan.pool.maxSize,
    ssl: false,
    idle_timeout: null,
    max_lifetime: null,
    connect_timeout: s.connect_timeout && s.connect_timeout > 0 ? s.connect_timeout : 30,
    keep_alive: keepAliveSeconds(s),
    connection,
    onnotice: () => {},
    fetch_types: true,
    prepare: true,
  };
}
