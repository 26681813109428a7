/**
 * The config layer of pgmonkey: YAML loading with PyYAML semantics, env and
 * secret interpolation, validation into typed settings, redaction, cache
 * keys and the `pgconfig create` template.
 *
 * Data flows one way: file → raw config ({@link loadConfig}) → interpolated
 * config ({@link resolveEnvVars}) → validated config ({@link validateConfig}).
 *
 * @example
 * ```ts
 * import { readValidatedConfig, redactConfig } from "./mod.ts";
 * const { raw, config } = await readValidatedConfig("config.yaml", { resolveEnv: true });
 * console.log(redactConfig(raw), config.connection_type);
 * ```
 *
 * @module
 */

export {
  CONNECTION_SETTING_KEYS,
  CONNECTION_TYPES,
  type ConnectionSettings,
  type ConnectionType,
  type LoadBalanceHosts,
  type LoadOptions,
  type PgMonkeyConfig,
  type PoolSettings,
  type RawConfig,
  type SessionSettings,
  SSL_MODES,
  type SslMode,
  type SslNegotiation,
  type TargetSessionAttrs,
} from "./types.ts";
export { parseYaml } from "./yaml.ts";
export { isSensitiveKey, SENSITIVE_KEYS, SENSITIVE_SUBSTRINGS } from "./sensitive.ts";
export { type ResolveEnvOptions, resolveEnvVars } from "./interpolate.ts";
export { collectSecrets, redactConfig, REDACTED, redactText } from "./redact.ts";
export { normalizeConfig, POSTGRESQL_WRAPPER_DEPRECATION } from "./normalize.ts";
export { setWarningHandler, type WarningHandler } from "./warn.ts";
export {
  parseBoolean,
  POOL_SETTING_KEYS,
  resolveConnectionType,
  validateConfig,
  type ValidateOptions,
} from "./validate.ts";
export {
  loadConfig,
  loadConfigFromObject,
  type LoadConfigOptions,
  type ReadConfigOptions,
  readConfigText,
  readValidatedConfig,
  type ValidatedConfig,
} from "./load.ts";
export { cacheKey, configHash, pyJsonDumps } from "./hash.ts";
export { CONFIG_TEMPLATE } from "./template.ts";
