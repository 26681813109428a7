/**
 * The config pipeline, in one place: file → raw config → interpolated
 * config → validated config (DESIGN.md §4). `loadConfig`,
 * `loadConfigFromObject`, the connection manager and the CLI all go through
 * {@link loadConfigFile} / {@link loadConfigObject} and {@link LoadedConfig}.
 *
 * - file → raw: {@link readConfigText} (strict UTF-8, universal newlines),
 *   `parseYaml` (PyYAML semantics), `normalizeConfig` (legacy
 *   `postgresql:` wrapper). An object is deep-copied instead of read.
 * - raw → interpolated: {@link LoadedConfig.resolved} (`resolveEnvVars`
 *   when `resolveEnv` is set; else the raw config itself).
 * - interpolated → validated: {@link LoadedConfig.validate} (`validateConfig`).
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
import { printWarning } from "./warn.ts";
import { readSmallFileSync, SmallFileError } from "./small_file.ts";
import { warnIfSecretExposed } from "./exposed_secret.ts";

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
 * {@link LoadOptions} plus the lookups interpolation uses, for tests and
 * embedders: where environment variables and `from_file` secrets come from.
 *
 * @example
 * ```ts
 * import { loadConfigObject, type PipelineOptions } from "./load.ts";
 * const options: PipelineOptions = { resolveEnv: true, env: () => "db.internal" };
 * loadConfigObject({ connection_settings: { host: "${PGHOST}" } }, options).resolved;
 * ```
 */
export interface PipelineOptions extends LoadOptions {
  /** Environment lookup used by interpolation (default: the process environment). */
  env?: ResolveEnvOptions["env"];
  /** Secret-file reader used by `from_file` (default: synchronous UTF-8 read). */
  readFile?: ResolveEnvOptions["readFile"];
}

/**
 * One config on its way through the pipeline: the config as written
 * ({@link LoadedConfig.raw}), as interpolated ({@link LoadedConfig.resolved},
 * computed on first use) and validated for a connection type
 * ({@link LoadedConfig.validate}). Nothing is mutated; `raw` may be shared
 * with a parse cache, so treat it as read-only.
 *
 * @example
 * ```ts
 * import { loadConfigObject } from "./load.ts";
 * const loaded = loadConfigObject({ connection_settings: { port: "${PGPORT:-5432}" } }, {
 *   resolveEnv: true,
 * });
 * loaded.raw; // { connection_settings: { port: "${PGPORT:-5432}" } }
 * loaded.validate("pool").connection_settings.port; // 5432 (unless PGPORT is set)
 * ```
 */
export class LoadedConfig {
  /** The file the config came from, if any (named in error messages). */
  readonly file?: string;
  /** As written: parsed (or deep-copied), legacy `postgresql:` wrapper unwrapped. */
  readonly raw: unknown;
  readonly #options: PipelineOptions;
  #resolved?: { value: unknown };

  /** Wraps an already parsed and normalized config. */
  constructor(raw: unknown, options: PipelineOptions = {}, file?: string) {
    this.raw = raw;
    this.#options = options;
    if (file !== undefined) this.file = file;
  }

  /** The options the config was loaded with. */
  get options(): Readonly<PipelineOptions> {
    return this.#options;
  }

  /**
   * The interpolated config: `${VAR}`, `from_env` and `from_file` resolved
   * when `resolveEnv` was set, else {@link LoadedConfig.raw} itself. Throws
   * `EnvInterpolationError` (every time it is read) when a reference cannot
   * be resolved.
   */
  get resolved(): unknown {
    if (this.#resolved === undefined) {
      const { resolveEnv, allowSensitiveDefaults, env, readFile } = this.#options;
      const value = resolveEnv
        ? resolveEnvVars(this.raw, { allowSensitiveDefaults, env, readFile })
        : this.raw;
      this.#resolved = { value };
    }
    return this.#resolved.value;
  }

  /**
   * The validated config for `connectionType` (else the config's
   * `connection_type`, else `normal`; `config.connection_type` is the type
   * chosen). Warnings go to the `onWarning` the config was loaded with.
   * Throws `ConfigError` naming the file and key.
   */
  validate(connectionType?: string | null): PgMonkeyConfig {
    return validateConfig(this.resolved, {
      file: this.file,
      connectionType,
      onWarning: this.#options.onWarning,
    });
  }
}

/** The last parse of each config file, keyed by path (see {@link loadConfigFile}). */
export type ParseCache = Map<string, { text: string; raw: unknown }>;

/**
 * Parses a config file's text (PyYAML-compatible YAML) and unwraps a legacy
 * `postgresql:` key.
 *
 * @example
 * ```ts
 * import { loadConfigText } from "./load.ts";
 * loadConfigText("connection_settings:\n  host: db\n", "c.yaml").raw;
 * // { connection_settings: { host: "db" } }
 * ```
 */
export function loadConfigText(
  text: string,
  path: string,
  options: PipelineOptions = {},
): LoadedConfig {
  const warn = options.onWarning ?? printWarning;
  const raw = normalizeConfig(parseYaml(text, path), warn);
  warnIfSecretExposed(path, raw, warn);
  return new LoadedConfig(raw, options, path);
}

/**
 * Reads and parses a config file. With a `cache` (the connection manager
 * keeps one), the file is parsed again only when its text has changed.
 *
 * @example
 * ```ts
 * import { loadConfigFile } from "./load.ts";
 * const loaded = await loadConfigFile("config.yaml", { resolveEnv: true });
 * console.log(loaded.raw, loaded.resolved, loaded.validate().connection_type);
 * ```
 */
export async function loadConfigFile(
  path: string,
  options: PipelineOptions = {},
  cache?: ParseCache,
): Promise<LoadedConfig> {
  if (cache === undefined) return loadConfigText(await readConfigText(path), path, options);
  const text = readConfigTextSync(path);
  const cached = cache.get(path);
  if (cached !== undefined && cached.text === text) {
    return new LoadedConfig(cached.raw, options, path);
  }
  const loaded = loadConfigText(text, path, options);
  cache.set(path, { text, raw: loaded.raw });
  return loaded;
}

/**
 * The object counterpart of {@link loadConfigFile} (pgmonkey's
 * `get_database_connection_from_dict` path): deep-copies `config` and
 * unwraps a legacy `postgresql:` key. The input is never mutated.
 *
 * @example
 * ```ts
 * import { loadConfigObject } from "./load.ts";
 * loadConfigObject({ postgresql: { connection_settings: {} } }).raw; // { connection_settings: {} }
 * ```
 */
export function loadConfigObject(config: unknown, options: PipelineOptions = {}): LoadedConfig {
  return new LoadedConfig(
    normalizeConfig(deepCopy(config), options.onWarning ?? printWarning),
    options,
  );
}

/**
 * Loads a config file like pgmonkey (Python)'s `load_config`: YAML
 * (PyYAML-compatible) → unwrap a legacy `postgresql:` key → optionally
 * resolve `${VAR}` / `from_env` / `from_file`. No validation: the result is
 * whatever the YAML holds (normally a mapping; `null` for an empty file).
 *
 * @param path The YAML file.
 * @param options `resolveEnv`, `allowSensitiveDefaults` (both default
 *   false) and `onWarning` (default: print to stderr).
 *
 * @example
 * ```ts
 * import { loadConfig } from "./load.ts";
 * const cfg = await loadConfig("config.yaml", { resolveEnv: true });
 * ```
 */
export async function loadConfig(path: string, options: LoadOptions = {}): Promise<unknown> {
  return (await loadConfigFile(path, options)).resolved;
}

/**
 * The object counterpart of {@link loadConfig}: deep-copies `config`,
 * unwraps a legacy `postgresql:` key and optionally interpolates. The input
 * is never mutated.
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
export function loadConfigFromObject(config: unknown, options: LoadOptions = {}): unknown {
  return loadConfigObject(config, options).resolved;
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

/**
 * The whole pipeline in one call: loads (from a path) or takes (from an
 * object) a config, optionally interpolates, and validates it.
 *
 * @example
 * ```ts
 * import { readValidatedConfig } from "./load.ts";
 * const { config } = await readValidatedConfig("config.yaml", {
 *   resolveEnv: true,
 *   connectionType: "pool",
 * });
 * config.pool_settings.max_size;
 * ```
 */
export async function readValidatedConfig(
  source: string | RawConfig,
  options: PipelineOptions & { connectionType?: string | null } = {},
): Promise<ValidatedConfig> {
  const loaded = typeof source === "string"
    ? await loadConfigFile(source, options)
    : loadConfigObject(source, options);
  const config = loaded.validate(options.connectionType);
  const result: ValidatedConfig = { raw: loaded.resolved as RawConfig, config };
  if (loaded.file !== undefined) result.file = loaded.file;
  return result;
}

/**
 * For `js_settings.reread_secrets`: the config's password reference
 * (`from_file`, `from_env`, or a `${VAR}` string) as written, and a function
 * that resolves it again (the secret file or variable read anew each call).
 * `undefined` when the config was loaded without `resolveEnv` or its
 * password is a literal.
 *
 * @example
 * ```ts ignore
 * import { loadConfigObject, passwordRereader } from "./load.ts";
 * const loaded = loadConfigObject(
 *   { connection_settings: { password: { from_file: "/run/secrets/pg" } } },
 *   { resolveEnv: true },
 * );
 * const reread = passwordRereader(loaded);
 * reread?.read(); // the file's current content
 * ```
 */
export function passwordRereader(
  loaded: LoadedConfig,
): { reference: unknown; read(): string | undefined } | undefined {
  const options = loaded.options;
  if (!options.resolveEnv) return undefined;
  const raw = loaded.raw as { connection_settings?: { password?: unknown } } | null;
  const reference = raw?.connection_settings?.password;
  const isReference = (reference !== null && typeof reference === "object" &&
    ("from_file" in reference || "from_env" in reference)) ||
    (typeof reference === "string" && reference.includes("${"));
  if (!isReference) return undefined;
  return {
    reference,
    read() {
      const fresh = resolveEnvVars({ connection_settings: { password: reference } }, {
        allowSensitiveDefaults: options.allowSensitiveDefaults,
        env: options.env,
        readFile: options.readFile,
      }) as { connection_settings: { password?: unknown } };
      const value = fresh.connection_settings.password;
      return value === undefined || value === null ? undefined : String(value);
    },
  };
}
