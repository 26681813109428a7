/**
 * Types of a pgmonkey config file, before and after validation.
 *
 * @module
 */
import type { WarningHandler } from "./warn.ts";

/** The four connection types a config file can ask for. */
export type ConnectionType = "normal" | "pool" | "async" | "async_pool";

/** Every valid connection type, in the order error messages list them. */
export const CONNECTION_TYPES: readonly ConnectionType[] = [
  "normal",
  "pool",
  "async",
  "async_pool",
];

/** The six libpq sslmodes. */
export type SslMode =
  | "disable"
  | "allow"
  | "prefer"
  | "require"
  | "verify-ca"
  | "verify-full";

/** Every valid sslmode, in libpq's order. */
export const SSL_MODES: readonly SslMode[] = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
];

/**
 * The 16 keys `connection_settings` may hold, in the order pgmonkey (Python)
 * lists them in its "Unknown connection settings ignored" warning.
 */
export const CONNECTION_SETTING_KEYS: readonly string[] = [
  "user",
  "password",
  "host",
  "port",
  "dbname",
  "sslmode",
  "sslcert",
  "sslkey",
  "sslrootcert",
  "connect_timeout",
  "application_name",
  "keepalives",
  "keepalives_idle",
  "keepalives_interval",
  "keepalives_count",
  "autocommit",
];

/**
 * libpq keywords that pgmonkey (Deno) reads from `connection_settings` on top
 * of the 16 {@link CONNECTION_SETTING_KEYS}. pgmonkey (Python) drops them with
 * its "Unknown connection settings ignored" warning (there, the matching `PG*`
 * environment variables are the portable way); we accept them silently.
 */
export const LIBPQ_EXTRA_SETTING_KEYS: readonly string[] = [
  "hostaddr",
  "service",
  "passfile",
  "options",
  "sslnegotiation",
  "target_session_attrs",
  "load_balance_hosts",
];

/** libpq's `target_session_attrs`: which kind of server a connection must land on. */
export type TargetSessionAttrs =
  | "any"
  | "read-write"
  | "read-only"
  | "primary"
  | "standby"
  | "prefer-standby";

/** Every valid `target_session_attrs`, in libpq's order. */
export const TARGET_SESSION_ATTRS: readonly TargetSessionAttrs[] = [
  "any",
  "read-write",
  "read-only",
  "primary",
  "standby",
  "prefer-standby",
];

/** libpq's `load_balance_hosts`: try hosts in the given order, or shuffled per connection. */
export type LoadBalanceHosts = "disable" | "random";

/** Every valid `load_balance_hosts`. */
export const LOAD_BALANCE_HOSTS: readonly LoadBalanceHosts[] = ["disable", "random"];

/** libpq's `sslnegotiation`: SSLRequest first (`postgres`) or TLS straight away (`direct`, PostgreSQL 17+). */
export type SslNegotiation = "postgres" | "direct";

/** Every valid `sslnegotiation`. */
export const SSL_NEGOTIATIONS: readonly SslNegotiation[] = ["postgres", "direct"];

/**
 * Validated `connection_settings`. A key that was absent, `null` or the empty
 * string (libpq's "use the default") is `undefined` here; the keys given as
 * `''` are also listed in {@link ConnectionSettings.emptyKeys}, because libpq
 * tells the two apart (see there).
 */
export interface ConnectionSettings {
  /** Role name. */
  user?: string;
  /** Password (never printed: see `redactConfig`). */
  password?: string;
  /**
   * Host name, IP address, or a Unix socket directory (starts with `/`); a
   * comma-separated list (`"db1,db2"`) names several hosts, tried in order.
   */
  host?: string;
  /**
   * Numeric IP address(es) to connect to instead of looking `host` up; a
   * comma-separated list matches a `host` list entry by entry.
   */
  hostaddr?: string;
  /** TCP port, when one port is given (it then applies to every host). */
  port?: number;
  /**
   * The ports of a comma-separated `port` list (`"5432,5433"`), one per host;
   * `undefined` entries were empty (libpq's default, 5432). Set instead of
   * `port`.
   */
  portList?: readonly (number | undefined)[];
  /** Database name. */
  dbname?: string;
  /** libpq sslmode; libpq's default is `prefer`. */
  sslmode?: SslMode;
  /** Path of the client certificate (PEM). */
  sslcert?: string;
  /** Path of the client private key (PEM). */
  sslkey?: string;
  /** Path of the CA certificate(s) that sign the server certificate (PEM). */
  sslrootcert?: string;
  /** Seconds allowed for TCP connect + TLS + authentication. */
  connect_timeout?: number;
  /** `application_name` reported to the server. */
  application_name?: string;
  /** TCP keepalives on (libpq default) or off. */
  keepalives?: boolean;
  /** Seconds of idleness before the first keepalive probe. */
  keepalives_idle?: number;
  /** Seconds between keepalive probes (not settable from Node/Deno; kept for parity). */
  keepalives_interval?: number;
  /** Probes before the connection is dropped (not settable from Node/Deno; kept for parity). */
  keepalives_count?: number;
  /** Autocommit mode for `normal`/`async` (ignored by the pool types, as upstream). */
  autocommit?: boolean;
  /** A `pg_service.conf` service whose entries fill what the file leaves out. */
  service?: string;
  /** The password file to use instead of `~/.pgpass`. */
  passfile?: string;
  /** Server command-line options sent at startup (libpq's `options`, e.g. `-c geqo=off`). */
  options?: string;
  /** How TLS is started: `postgres` (SSLRequest, the default) or `direct` (PostgreSQL 17+). */
  sslnegotiation?: SslNegotiation;
  /** Which kind of server to accept among the hosts (libpq default `any`). */
  target_session_attrs?: TargetSessionAttrs;
  /** `random` shuffles the hosts for each new connection (libpq default `disable`). */
  load_balance_hosts?: LoadBalanceHosts;
  /**
   * Keys among the 16 pgmonkey (Python) passes to libpq that the file set to
   * `''`. libpq then treats the parameter as given but empty: neither its
   * environment variable nor a service file fills it in, and its built-in
   * default applies (so `sslrootcert: ''` ignores `PGSSLROOTCERT`, and
   * `password: ''` ignores `PGPASSWORD` but still reads `~/.pgpass`). A
   * `null` or absent key is not listed: for those, the environment applies.
   */
  emptyKeys?: readonly string[];
}

/** Validated `pool_settings` / `async_pool_settings` (psycopg_pool's names and units). */
export interface PoolSettings {
  /** Connections opened when the pool is created and kept open. psycopg_pool default 4. */
  min_size?: number;
  /** Upper bound of open connections. psycopg_pool default: `min_size`. */
  max_size?: number;
  /** Seconds to wait for a free connection before `PoolTimeoutError`. Default 30. */
  timeout?: number;
  /** Seconds a connection may stay idle (above `min_size`) before it is closed. Default 600. */
  max_idle?: number;
  /** Seconds after which a connection is retired. Default 3600. */
  max_lifetime?: number;
  /** Run `SELECT 1` before handing a connection out; replace it if dead. */
  check_on_checkout?: boolean;
  /** Most callers allowed to wait at once (0 = unlimited). */
  max_waiting?: number;
  /** Seconds to keep retrying to open connections after a failure. */
  reconnect_timeout?: number;
  /** psycopg_pool worker threads: accepted for compatibility, no effect here. */
  num_workers?: number;
  /** A name for logs and stats. */
  name?: string;
}

/** Session settings (GUC name → value as text, Python `str(value)` semantics). */
export type SessionSettings = Record<string, string>;

/** How server NOTICE/WARNING messages are reported (`js_settings.notices`). */
export type NoticeMode = "warnings" | "all" | "none";

/** What to do when code inside `transaction(fn)` queries another connection of the same pool. */
export type ForeignConnectionPolicy = "warn" | "reject" | "allow";

/**
 * `js_settings`: the section of this library (pgmonkey for Deno/Node). pgmonkey
 * (Python) ignores top-level sections it does not know, so these keys never
 * change what the same file means there. Every key is optional.
 */
export interface JsSettings {
  /**
   * PgBouncer in transaction pooling mode in front of the server: no named
   * prepared statements, session settings applied with `SET LOCAL` in each
   * `transaction()` instead of as startup parameters, `LISTEN` refused.
   */
  pgbouncer?: boolean;
  /** Server notices: `warnings` (default: WARNINGs to `onWarning`), `all`, or `none`. */
  notices?: NoticeMode;
  /**
   * Seconds a borrowed connection (`acquire()`, `transaction()`) may be held
   * before one warning with the borrower's stack is logged (0: off, the default).
   */
  leak_detection_threshold?: number;
  /**
   * A statement on another connection of the same pool inside
   * `transaction(fn)`: `warn` (default), `reject`, or `allow`.
   */
  foreign_connections?: ForeignConnectionPolicy;
  /**
   * Read a `from_file` / `from_env` password again for every new physical
   * connection (rotating secrets); default false.
   */
  reread_secrets?: boolean;
}

/** The keys `js_settings` may hold. */
export const JS_SETTING_KEYS: readonly string[] = [
  "pgbouncer",
  "notices",
  "leak_detection_threshold",
  "foreign_connections",
  "reread_secrets",
];

/** A validated pgmonkey config: every section present, every value typed. */
export interface PgMonkeyConfig {
  /** `connection_type` from the file, or `normal`. */
  connection_type: ConnectionType;
  /** Connection parameters. */
  connection_settings: ConnectionSettings;
  /** GUCs for `normal` and `pool`. */
  sync_settings: SessionSettings;
  /** GUCs for `async` and `async_pool`. */
  async_settings: SessionSettings;
  /** Pool parameters for `pool`. */
  pool_settings: PoolSettings;
  /** Pool parameters for `async_pool`. */
  async_pool_settings: PoolSettings;
  /** This library's own section (ignored by pgmonkey (Python)). */
  js_settings: JsSettings;
}

/** A parsed but not yet validated config (what YAML gave, after interpolation). */
export type RawConfig = Record<string, unknown>;

/**
 * Options for loading a config file or object: `loadConfig`,
 * `loadConfigFromObject`, and (with `forceReload`) the connection manager's
 * `getDatabaseConnection`.
 *
 * @example
 * ```ts
 * import type { LoadOptions } from "./types.ts";
 * const options: LoadOptions = {
 *   resolveEnv: true,
 *   onWarning: (message) => console.error(`config: ${message}`),
 * };
 * ```
 */
export interface LoadOptions {
  /** Resolve `${VAR}`, `${VAR:-default}`, `from_env` and `from_file` (default false). */
  resolveEnv?: boolean;
  /** Allow `${VAR:-default}` on sensitive keys such as `password` (default false). */
  allowSensitiveDefaults?: boolean;
  /**
   * Receives config warnings (unknown keys, the deprecated `postgresql:`
   * wrapper), one line each. Default: printed to stderr.
   */
  onWarning?: WarningHandler;
}
