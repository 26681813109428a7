/**
 * pgmonkey for Deno: PostgreSQL connections for Deno and Node from one YAML
 * config file, shared unchanged with pgmonkey (Python). Four connection types
 * (`normal`, `pool`, `async`, `async_pool`) on postgres.js, env-var and
 * secret-file interpolation, redaction, config caching, transactions that
 * commit on success and roll back on error, session settings, and TLS in all
 * six libpq sslmodes.
 *
 * @example Get a pooled connection and run a transaction
 * ```ts ignore
 * import { PGConnectionManager } from "@pgmonkey/pgmonkey";
 *
 * const manager = new PGConnectionManager();
 * const db = await manager.getDatabaseConnection("config.yaml", "pool", { resolveEnv: true });
 * const rows = await db.transaction(async (tx) => {
 *   await tx`INSERT INTO customers ${tx({ name: "Frank" })}`;
 *   return await tx`SELECT name FROM customers`;
 * });
 * console.log(rows.length);
 * ```
 *
 * @example Load, validate and redact a config without connecting
 * ```ts
 * import { loadConfigFromObject, redactConfig, validateConfig } from "@pgmonkey/pgmonkey";
 *
 * const raw = loadConfigFromObject({
 *   connection_settings: { host: "localhost", port: "5432", password: "s3cret" },
 * });
 * const config = validateConfig(raw);
 * console.log(config.connection_settings.port); // 5432
 * console.log(redactConfig(raw)); // password: "***REDACTED***"
 * ```
 *
 * Everything here is the supported API. The building blocks the `pgmonkey`
 * CLI uses besides (the config pipeline, secret collection, cache keys, the
 * YAML parser) are exported from `@pgmonkey/pgmonkey/internal`, without a
 * stability promise.
 *
 * @module
 */
export { CONFIG_TEMPLATE } from "./src/config/template.ts";
export { CONFIG_SCHEMA_URL } from "./src/config/schema.ts";
export {
  CONNECTION_TYPES,
  type ConnectionSettings,
  type ConnectionType,
  type ForeignConnectionPolicy,
  type JsSettings,
  type LoadBalanceHosts,
  type LoadOptions,
  type NoticeMode,
  type PgMonkeyConfig,
  type PoolSettings,
  type RawConfig,
  type SessionSettings,
  SSL_MODES,
  type SslMode,
  type SslNegotiation,
  type TargetSessionAttrs,
} from "./src/config/types.ts";
export { loadConfig, loadConfigFromObject } from "./src/config/load.ts";
export { validateConfig, type ValidateOptions } from "./src/config/validate.ts";
export { redactConfig, REDACTED } from "./src/config/redact.ts";
export type { WarningHandler } from "./src/config/warn.ts";
export {
  ConfigError,
  type ConfigErrorLocation,
  ConnectionError,
  type ConnectionTarget,
  EnvInterpolationError,
  PoolTimeoutError,
} from "./src/errors.ts";
export {
  type CacheInfo,
  type CloseOnSignalsOptions,
  type GetConnectionOptions,
  type HealthEntry,
  PGConnectionManager,
  type PGConnectionManagerOptions,
} from "./src/connect/manager.ts";
export type { PostgresPassthrough } from "./src/connect/options.ts";
export { CHANNELS } from "./src/connect/observe.ts";
export {
  type BorrowedConnection,
  type HandleHealth,
  type PGConnection,
  type PoolStats,
  type ReservedSql,
  type Sql,
  type TransactionOptions,
  type TransactionSql,
} from "./src/connect/handle.ts";
export type { RetryOptions } from "./src/connect/transaction.ts";
