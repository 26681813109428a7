/**
 * Unwrapping the pre-3.0 `postgresql:` top-level key, like pgmonkey
 * (Python)'s `normalize_config`.
 *
 * @module
 */

import { printWarning, type WarningHandler, warnOnce } from "./warn.ts";
import { isMapping } from "./values.ts";

/**
 * The exact text of pgmonkey (Python)'s DeprecationWarning for the
 * `postgresql:` wrapper.
 *
 * @example
 * ```ts
 * import { POSTGRESQL_WRAPPER_DEPRECATION } from "./normalize.ts";
 * console.warn(`DeprecationWarning: ${POSTGRESQL_WRAPPER_DEPRECATION}`);
 * ```
 */
export const POSTGRESQL_WRAPPER_DEPRECATION: string =
  "The top-level 'postgresql:' key in pgmonkey config files is deprecated since v3.0.0 and will be removed in a future version. Remove the 'postgresql:' wrapper and dedent all settings one level. See https://pgmonkey.net/reference.html for the new format.";

/**
 * If `config` is a mapping with a `postgresql` key, returns that key's
 * value (every other top-level key is dropped, as upstream) and, the first
 * time in this process, emits
 * `DeprecationWarning: The top-level 'postgresql:' key …` to `onWarning`
 * (once per handler; the default prints to stderr once per process).
 * Anything else is returned unchanged.
 *
 * @example
 * ```ts
 * import { normalizeConfig } from "./normalize.ts";
 * normalizeConfig({ postgresql: { connection_settings: { host: "db" } } });
 * // { connection_settings: { host: "db" } } (plus a one-time warning)
 * ```
 */
export function normalizeConfig(
  config: unknown,
  onWarning: WarningHandler = printWarning,
): unknown {
  if (isMapping(config) && Object.hasOwn(config, "postgresql")) {
    warnOnce(
      onWarning,
      "postgresql-wrapper",
      `DeprecationWarning: ${POSTGRESQL_WRAPPER_DEPRECATION}`,
    );
    return config.postgresql;
  }
  return config;
}
