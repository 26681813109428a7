/**
 * Building blocks of the `pgmonkey` CLI that are not part of the supported
 * API: the config pipeline with its stages ({@link loadConfigFile},
 * {@link LoadedConfig}, {@link connectLoaded}), secret collection and text
 * redaction, the PyYAML-compatible parser, pgmonkey (Python)'s cache keys.
 * They may change in any release; use the main entry point
 * (`@pgmonkey/pgmonkey`) in applications.
 *
 * @example Load once, record the secrets, then connect without reading the file again
 * ```ts ignore
 * import { PGConnectionManager } from "@pgmonkey/pgmonkey";
 * import { collectSecrets, connectLoaded, loadConfigFile } from "@pgmonkey/pgmonkey/internal";
 *
 * const loaded = await loadConfigFile("config.yaml", { resolveEnv: true });
 * const secrets = [...collectSecrets(loaded.raw), ...collectSecrets(loaded.resolved)];
 * const db = await connectLoaded(new PGConnectionManager(), loaded, "normal");
 * ```
 *
 * @module
 */
export {
  loadConfigFile,
  loadConfigObject,
  loadConfigText,
  LoadedConfig,
  type ParseCache,
  type PipelineOptions,
  readConfigText,
} from "./src/config/load.ts";
export { connectLoaded } from "./src/connect/manager.ts";
export { CONNECTION_SETTING_KEYS } from "./src/config/types.ts";
export { POOL_SETTING_KEYS, resolveConnectionType } from "./src/config/validate.ts";
export {
  findEnvReference,
  type ResolveEnvOptions,
  resolveEnvVars,
} from "./src/config/interpolate.ts";
export { collectSecrets, redactText } from "./src/config/redact.ts";
export { isSensitiveKey } from "./src/config/sensitive.ts";
export { normalizeConfig } from "./src/config/normalize.ts";
export { parseYaml } from "./src/config/yaml.ts";
export { pyTruthy } from "./src/config/values.ts";
export { printWarning } from "./src/config/warn.ts";
export { cacheKey, configHash } from "./src/config/hash.ts";
