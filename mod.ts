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
 * @module
 */
export {
  cacheKey,
  collectSecrets,
  CONFIG_TEMPLATE,
  configHash,
  CONNECTION_SETTING_KEYS,
  CONNECTION_TYPES,
  type ConnectionSettings,
  type ConnectionType,
  isSensitiveKey,
  type LoadBalanceHosts,
  loadConfig,
  loadConfigFromObject,
  type LoadConfigOptions,
  type LoadOptions,
  normalizeConfig,
  parseYaml,
  type PgMonkeyConfig,
  type PoolSettings,
  type RawConfig,
  type ReadConfigOptions,
  readValidatedConfig,
  redactConfig,
  REDACTED,
  redactText,
  resolveConnectionType,
  type ResolveEnvOptions,
  resolveEnvVars,
  type SessionSettings,
  setWarningHandler,
  SSL_MODES,
  type SslMode,
  type SslNegotiation,
  type TargetSessionAttrs,
  validateConfig,
  type ValidatedConfig,
  type ValidateOptions,
  type WarningHandler,
} from "./src/config/mod.ts";
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
  type GetConnectionOptions,
  PGConnectionManager,
} from "./src/connect/manager.ts";
export type { PostgresPassthrough } from "./src/connect/options.ts";
export {
  type BorrowedConnection,
  type PGConnection,
  type PoolStats,
  type ReservedSql,
  type Sql,
  type TransactionOptions,
  type TransactionSql,
} from "./src/connect/handle.ts";
