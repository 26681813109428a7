/**
 * Reading config files and objects: the first arrow of
 * file → raw config → interpolated config → validated config.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import type { LoadOptions, PgMonkeyConfig, RawConfig } from "./types.ts";
import { parseYaml } from "./yaml.ts";
import { normalizeConfig } from "./normalize.ts";
import { type ResolveEnvOptions, resolveEnvVars } from "./interpolate.ts";
import { validateConfig } from "./validate.ts";
import { decodeUtf8Strict, Utf8DecodeError } from "./utf8.ts";
import { errorCode, pyOsErrorText } from "./oserror.ts";
import { deepCopy } from "./values.ts";
import { readSmallFileSync, SmallFileError } from "./small_file.ts";

/**
 * The largest config file read: 1 MiB. A real config is a few KiB; anything
 * bigger is refused from its size before it is read.
 *
 * @example
 * ```ts
 * import { MAX_CONFIG_FILE_BYTES } from "./load.ts";
 * MAX_CONFIG_FILE_BYTES; // 1048576
 * ```
 */
export const MAX_CONFIG_FILE_BYTES = 1 << 20;

/**
 * Options for {@link loadConfig} and {@link loadConfigFromObject}.
 *
 * @example
 * ```ts
 * import { loadConfig, type LoadConfigOptions } from "./load.ts";
 * const options: LoadConfigOptions = { resolveEnv: true, allowSensitiveDefaults: false };
 * const cfg = await loadConfig("config.yaml", options);
 * ```
 */
export interface LoadConfigOptions extends LoadOptions {
  /** Environment lookup used by interpolation (default: the process environment). */
  env?: ResolveEnvOptions["env"];
  /** Secret-file reader used by `from_file` (default: synchronous UTF-8 read). */
  readFile?: ResolveEnvOptions["readFile"];
}

/**
 * Options for {@link readValidatedConfig}.
 *
 * @example
 * ```ts
 * import { readValidatedConfig, type ReadConfigOptions } from "./load.ts";
 * const options: ReadConfigOptions = { resolveEnv: true, connectionType: "pool" };
 * const { config } = await readValidatedConfig("config.yaml", options);
 * ```
 */
export interface ReadConfigOptions extends LoadConfigOptions {
  /** Explicit connection type; wins over the file's `connection_type`. */
  connectionType?: string | null;
}

/**
 * What {@link readValidatedConfig} returns.
 *
 * @example
 * ```ts
 * import { readValidatedConfig, type ValidatedConfig } from "./load.ts";
 * const result: ValidatedConfig = await readValidatedConfig({ connection_settings: { host: "db" } });
 * result.config.connection_type; // "normal"
 * ```
 */
export interface ValidatedConfig {
  /** The config after normalization and (optional) interpolation, before validation. */
  raw: RawConfig;
  /** The validated, typed config. */
  config: PgMonkeyConfig;
  /** The file it came from, if any. */
  file?: string;
}

function withFile(error: ConfigError, file: string): ConfigError {
  (error as { file?: string }).file = file;
  return error;
}

/** The `ConfigError` for a config file that cannot be read. */
function readError(e: unknown, path: string): ConfigError {
  if (e instanceof SmallFileError) {
    const problem = e.reason === "not-regular" ? `${e.message} (a YAML config file)` : e.message;
    return new ConfigError(problem, { file: path }, { cause: e });
  }
  const code = errorCode(e);
  if (code === "ENOENT") {
    return withFile(new ConfigError(`config file not found: ${path}`, {}, { cause: e }), path);
  }
  if (code === "EISDIR") {
    return new ConfigError("is a directory, expected a YAML config file", { file: path }, {
      cause: e,
    });
  }
  if (code === "EACCES" || code === "EPERM") {
    return new ConfigError("permission denied", { file: path }, { cause: e });
  }
  return new ConfigError(`cannot read config file: ${pyOsErrorText(e, path)}`, { file: path }, {
    cause: e,
  });
}

/**
 * {@link readConfigText} without the promise: for callers that must not
 * yield (the connection manager's quick path). Same checks, same errors.
 *
 * @example
 * ```ts
 * import { readConfigTextSync } from "./load.ts";
 * const text = readConfigTextSync("config.yaml");
 * ```
 */
export function readConfigTextSync(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readSmallFileSync(path, MAX_CONFIG_FILE_BYTES);
  } catch (e) {
    throw readError(e, path);
  }
  return decodeConfigText(bytes, path);
}

/**
 * Reads a config file as text exactly like Python's `open(path, 'r')` with a
 * UTF-8 locale (strict UTF-8, universal newlines), after checking what the
 * path is: only a regular file of at most {@link MAX_CONFIG_FILE_BYTES} is
 * read (a FIFO or device is refused from its `stat`, so nothing blocks or
 * fills memory). Failures become one-line `ConfigError`s:
 * `config file not found: <path>`,
 * `<path>: is a directory, expected a YAML config file`,
 * `<path>: is a named pipe (FIFO), expected a regular file (a YAML config file)`,
 * `<path>: is 5242880 bytes, larger than the 1 MiB (1048576 bytes) allowed`,
 * `<path>: permission denied`, or an invalid-UTF-8 message.
 *
 * @example
 * ```ts
 * import { readConfigText } from "./load.ts";
 * const text = await readConfigText("config.yaml");
 * ```
 */
export function readConfigText(path: string): Promise<string> {
  try {
    return Promise.resolve(readConfigTextSync(path));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Decodes a config file's bytes: strict UTF-8, line ends normalised to `\n`.
 * Throws `ConfigError` naming `path` for invalid UTF-8.
 *
 * @example
 * ```ts
 * import { decodeConfigText } from "./load.ts";
 * console.log(decodeConfigText(new TextEncoder().encode("a: 1\r\n"), "c.yaml")); // "a: 1\n"
 * ```
 */
export function decodeConfigText(bytes: Uint8Array, path: string): string {
  let text: string;
  try {
    text = decodeUtf8Strict(bytes);
  } catch (e) {
    if (!(e instanceof Utf8DecodeError)) throw e;
    throw new ConfigError(`not valid UTF-8 text (${e.message})`, { file: path }, { cause: e });
  }
  return text.replace(/\r\n?/g, "\n");
}

/**
 * Parses a config file's text (PyYAML-compatible YAML) and unwraps a legacy
 * `postgresql:` key; no interpolation, no validation.
 *
 * @example
 * ```ts
 * import { parseConfigText } from "./load.ts";
 * parseConfigText("connection_settings:\n  host: db\n", "c.yaml");
 * ```
 */
export function parseConfigText(text: string, path: string): unknown {
  return normalizeConfig(parseYaml(text, path));
}

/**
 * Applies the load options to a parsed, normalised config: resolves
 * `${VAR}` / `from_env` / `from_file` when `resolveEnv` is set. The input is
 * not mutated.
 *
 * @example
 * ```ts
 * import { applyLoadOptions } from "./load.ts";
 * applyLoadOptions({ a: "${HOME}" }, { resolveEnv: true });
 * ```
 */
export function applyLoadOptions(normalized: unknown, options: LoadConfigOptions = {}): unknown {
  if (!options.resolveEnv) return normalized;
  return resolveEnvVars(normalized, {
    allowSensitiveDefaults: options.allowSensitiveDefaults,
    env: options.env,
    readFile: options.readFile,
  });
}

/**
 * Loads a config file like pgmonkey (Python)'s `load_config`: YAML
 * (PyYAML-compatible, see `parseYaml`) → unwrap a legacy `postgresql:` key →
 * optionally resolve `${VAR}` / `from_env` / `from_file`. No validation: the
 * result is whatever the YAML holds (normally a mapping; `null` for an empty
 * file).
 *
 * @param path The YAML file.
 * @param options `resolveEnv`, `allowSensitiveDefaults` (both default false).
 *
 * @example
 * ```ts
 * import { loadConfig } from "./load.ts";
 * const cfg = await loadConfig("config.yaml", { resolveEnv: true });
 * ```
 */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<unknown> {
  const text = await readConfigText(path);
  return applyLoadOptions(parseConfigText(text, path), options);
}

/**
 * The object counterpart of {@link loadConfig} (pgmonkey's
 * `get_database_connection_from_dict` path): deep-copies `config`, unwraps a
 * legacy `postgresql:` key and optionally interpolates. The input is never
 * mutated.
 *
 * @example
 * ```ts
 * import { loadConfigFromObject } from "./load.ts";
 * const cfg = loadConfigFromObject(
 *   { connection_settings: { host: "${PGHOST:-localhost}" } },
 *   { resolveEnv: true },
 * );
 * ```
 */
export function loadConfigFromObject(config: unknown, options: LoadConfigOptions = {}): unknown {
  return applyLoadOptions(normalizeConfig(deepCopy(config)), options);
}

/**
 * Loads (from a path) or takes (from an object) a config, normalizes,
 * optionally interpolates, and validates it. This is what the connection
 * manager uses.
 *
 * @param source A YAML file path, or an already parsed config object.
 * @param options Interpolation options and an explicit `connectionType`.
 *
 * @example
 * ```ts
 * import { readValidatedConfig } from "./load.ts";
 * const { config, raw } = await readValidatedConfig("config.yaml", {
 *   resolveEnv: true,
 *   connectionType: "pool",
 * });
 * config.pool_settings.max_size;
 * ```
 */
export async function readValidatedConfig(
  source: string | RawConfig,
  options: ReadConfigOptions = {},
): Promise<ValidatedConfig> {
  const file = typeof source === "string" ? source : undefined;
  const raw = file !== undefined
    ? await loadConfig(file, options)
    : loadConfigFromObject(source, options);
  const config = validateConfig(raw, { file, connectionType: options.connectionType });
  const result: ValidatedConfig = { raw: raw as RawConfig, config };
  if (file !== undefined) result.file = file;
  return result;
}
