/**
 * Validation of a parsed (and interpolated) config into a typed
 * {@link PgMonkeyConfig}, with one-line `ConfigError`s that name the file,
 * the dotted key and what was expected, and never show a secret.
 *
 * Compared with pgmonkey (Python), which passes most values through to
 * libpq / psycopg_pool unchecked, this is stricter but accepts every file
 * the template describes: numbers may be written as numeric strings
 * (`port: '5432'`), booleans as `true/false/yes/no/on/off/1/0` (so the string
 * `'false'` means false — upstream turns it into true), and an empty string
 * means "not set" (libpq's default), like `null`.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import {
  CONNECTION_SETTING_KEYS,
  CONNECTION_TYPES,
  type ConnectionSettings,
  type ConnectionType,
  type PgMonkeyConfig,
  type PoolSettings,
  type SessionSettings,
  SSL_MODES,
  type SslMode,
} from "./types.ts";
import { isSensitiveKey } from "./sensitive.ts";
import { pyNumberStr, pyRepr, pyStr } from "./pystr.ts";
import { defineEntry, describeType, isMapping, type Mapping, pyTruthy } from "./values.ts";
import { printWarning, type WarningHandler } from "./warn.ts";

/**
 * Keys `pool_settings` / `async_pool_settings` may hold, in the order warnings list them.
 *
 * @example
 * ```ts
 * import { POOL_SETTING_KEYS } from "./validate.ts";
 * POOL_SETTING_KEYS.includes("check_on_checkout"); // true
 * ```
 */
export const POOL_SETTING_KEYS: readonly string[] = [
  "min_size",
  "max_size",
  "timeout",
  "max_idle",
  "max_lifetime",
  "check_on_checkout",
  "max_waiting",
  "reconnect_timeout",
  "num_workers",
  "name",
];

/**
 * Options for {@link validateConfig}.
 *
 * @example
 * ```ts
 * import { validateConfig, type ValidateOptions } from "./validate.ts";
 * const options: ValidateOptions = { file: "config.yaml", connectionType: "pool" };
 * validateConfig({ connection_settings: {} }, options).connection_type; // "pool"
 * ```
 */
export interface ValidateOptions {
  /** The config file, for error messages. */
  file?: string;
  /**
   * The connection type asked for by the caller. When given (non-empty) it
   * wins over the file's `connection_type`, which is then not checked
   * (as upstream: `connection_type or config.get('connection_type', 'normal')`).
   */
  connectionType?: string | null;
  /** Receives the warnings about unknown keys (default: printed to stderr). */
  onWarning?: WarningHandler;
}

/** Where errors are reported (the file), and where warnings go. */
interface Where {
  file?: string;
  warn: WarningHandler;
}

const MAX_SHOWN = 60;

/** How a bad value is shown: quoted for plain keys, only its type for sensitive ones. */
function shown(value: unknown, key: string): string {
  const last = key.slice(key.lastIndexOf(".") + 1);
  if (isSensitiveKey(last)) return describeType(value);
  switch (typeof value) {
    case "string": {
      const text = value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN - 3) + "..." : value;
      return pyRepr(text);
    }
    case "number":
    case "bigint":
      return pyNumberStr(value);
    case "boolean":
      return String(value);
  }
  return describeType(value);
}

function fail(where: Where, key: string, problem: string): never {
  throw new ConfigError(problem, { file: where.file, key });
}

function expected(where: Where, key: string, what: string, value: unknown, hint = ""): never {
  fail(where, key, `expected ${what}, got ${shown(value, key)}${hint}`);
}

/** Python `sorted()` of strings (code-point order). */
function pySorted(items: Iterable<string>): string[] {
  return [...items].sort((a, b) => {
    const x = [...a];
    const y = [...b];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
      if (d !== 0) return d;
    }
    return x.length - y.length;
  });
}

const NUMBER_TEXT = /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/;
const INTEGER_TEXT = /^\s*[-+]?\d+\s*$/;

function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && NUMBER_TEXT.test(value)) return Number(value);
  return undefined;
}

function asInteger(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && INTEGER_TEXT.test(value)) return Number(value);
  return undefined;
}

const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);

/**
 * Reads a boolean setting the forgiving way: real booleans, `0`/`1`, and the
 * strings `true/false/yes/no/on/off/1/0` in any case. Returns `undefined`
 * for anything else.
 *
 * @example
 * ```ts
 * import { parseBoolean } from "./validate.ts";
 * parseBoolean("false"); // false (pgmonkey (Python) would use bool('false') == True)
 * parseBoolean(1); // true
 * parseBoolean("maybe"); // undefined
 * ```
 */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === "string") {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return undefined;
}

const BOOLEAN_WORDS = "a boolean (true/false, yes/no, on/off, 1/0)";

function booleanSetting(where: Where, key: string, value: unknown): boolean {
  const parsed = parseBoolean(value);
  if (parsed === undefined) expected(where, key, BOOLEAN_WORDS, value);
  return parsed;
}

function nonNegativeNumber(where: Where, key: string, value: unknown): number {
  const n = asNumber(value);
  if (n === undefined || n < 0) expected(where, key, "a non-negative number", value);
  return n;
}

function integerAtLeast(where: Where, key: string, value: unknown, min: number): number {
  const n = asInteger(value);
  if (n === undefined || n < min) {
    expected(where, key, min === 0 ? "a non-negative integer" : `an integer >= ${min}`, value);
  }
  return n;
}

function stringSetting(where: Where, key: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return pyNumberStr(value);
  if (typeof value === "boolean") {
    expected(where, key, "a string", value, " (quote the value in YAML)");
  }
  if (isMapping(value) && ("from_env" in value || "from_file" in value)) {
    expected(where, key, "a string", value, " (from_env/from_file need resolveEnv: true)");
  }
  expected(where, key, "a string", value);
}

/** Drops `null` and `''` (libpq: "use the default"). */
function isUnset(value: unknown): boolean {
  return value === null || value === undefined || value === "";
}

function validateConnectionSettings(where: Where, raw: Mapping): ConnectionSettings {
  const section = "connection_settings";
  const unknown = Object.keys(raw).filter((k) => !CONNECTION_SETTING_KEYS.includes(k));
  if (unknown.length > 0) {
    where.warn(
      `Unknown connection settings ignored: ${pySorted(unknown).join(", ")}. Valid keys: ${
        CONNECTION_SETTING_KEYS.join(", ")
      }`,
    );
  }
  const out: ConnectionSettings = {};
  for (const name of CONNECTION_SETTING_KEYS) {
    if (!Object.hasOwn(raw, name)) continue;
    const value = raw[name];
    if (isUnset(value)) continue;
    const key = `${section}.${name}`;
    switch (name) {
      case "port": {
        const port = asInteger(value);
        if (port === undefined || port < 1 || port > 65535) {
          expected(where, key, "an integer from 1 to 65535", value);
        }
        out.port = port;
        break;
      }
      case "sslmode":
        if (typeof value !== "string" || !(SSL_MODES as readonly string[]).includes(value)) {
          fail(
            where,
            key,
            `invalid sslmode ${shown(value, key)}; expected one of: ${SSL_MODES.join(", ")}`,
          );
        }
        out.sslmode = value as SslMode;
        break;
      case "connect_timeout":
      case "keepalives_idle":
      case "keepalives_interval":
      case "keepalives_count":
        out[name] = nonNegativeNumber(where, key, value);
        break;
      case "keepalives":
      case "autocommit":
        out[name] = booleanSetting(where, key, value);
        break;
      default: {
        const text = stringSetting(where, key, value);
        if (text !== "") {
          (out as Record<string, unknown>)[name] = text;
        }
      }
    }
  }
  return out;
}

function validateSessionSettings(where: Where, section: string, raw: unknown): SessionSettings {
  if (!pyTruthy(raw)) return {};
  if (!isMapping(raw)) {
    expected(where, section, "a mapping of setting names to values", raw);
  }
  const out: SessionSettings = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === null || value === undefined) continue;
    const key = `${section}.${name}`;
    if (typeof value === "object") {
      expected(where, key, "a single value (string, number or boolean)", value);
    }
    defineEntry(out, name, pyStr(value));
  }
  return out;
}

function validatePoolSettings(where: Where, section: string, raw: unknown): PoolSettings {
  if (!pyTruthy(raw)) return {};
  if (!isMapping(raw)) expected(where, section, "a mapping of pool settings", raw);
  const unknown = Object.keys(raw).filter((k) => !POOL_SETTING_KEYS.includes(k));
  if (unknown.length > 0) {
    where.warn(
      `Unknown pool settings ignored in ${section}: ${pySorted(unknown).join(", ")}. Valid keys: ${
        POOL_SETTING_KEYS.join(", ")
      }`,
    );
  }
  const out: PoolSettings = {};
  for (const name of POOL_SETTING_KEYS) {
    if (!Object.hasOwn(raw, name)) continue;
    const value = raw[name];
    if (isUnset(value)) continue;
    const key = `${section}.${name}`;
    switch (name) {
      case "min_size":
      case "max_waiting":
      case "num_workers":
        out[name] = integerAtLeast(where, key, value, 0);
        break;
      case "max_size":
        out.max_size = integerAtLeast(where, key, value, 1);
        break;
      case "timeout":
      case "max_idle":
      case "max_lifetime":
      case "reconnect_timeout":
        out[name] = nonNegativeNumber(where, key, value);
        break;
      case "check_on_checkout":
        out.check_on_checkout = booleanSetting(where, key, value);
        break;
      case "name":
        out.name = stringSetting(where, key, value);
        break;
    }
  }
  if (out.min_size !== undefined && out.max_size !== undefined && out.min_size > out.max_size) {
    fail(
      where,
      section,
      `min_size (${out.min_size}) cannot be greater than max_size (${out.max_size})`,
    );
  }
  return out;
}

/**
 * The connection type to use: the explicit `requested` type if given
 * (non-empty), else the config's `connection_type`, else `normal`. An
 * unsupported value throws `ConfigError` with upstream's text
 * `Unsupported connection type: 'x'. Valid types: normal, pool, async, async_pool`
 * (prefixed with `file` and `connection_type` when the value came from the
 * config; `connection_type: null` is shown as `'None'`, as upstream).
 *
 * @example
 * ```ts
 * import { resolveConnectionType } from "./validate.ts";
 * resolveConnectionType(undefined, { connection_type: "pool" }); // "pool"
 * resolveConnectionType("async", { connection_type: "pool" }); // "async"
 * resolveConnectionType(null, {}); // "normal"
 * ```
 */
export function resolveConnectionType(
  requested: string | null | undefined,
  raw: unknown,
  file?: string,
): ConnectionType {
  const fromArgument = requested !== undefined && requested !== null && requested !== "";
  let value: unknown = "normal";
  if (fromArgument) value = requested;
  else if (isMapping(raw) && Object.hasOwn(raw, "connection_type")) value = raw.connection_type;
  if (typeof value === "string" && (CONNECTION_TYPES as readonly string[]).includes(value)) {
    return value as ConnectionType;
  }
  const problem = `Unsupported connection type: '${pyStr(value)}'. Valid types: ${
    CONNECTION_TYPES.join(", ")
  }`;
  if (fromArgument) throw new ConfigError(problem);
  throw new ConfigError(problem, { file, key: "connection_type" });
}

/**
 * Checks a parsed config and returns it typed, with every section present.
 * Unknown `connection_settings` keys and unknown pool keys are dropped with
 * one warning each (upstream's texts) given to `options.onWarning`;
 * other unknown top-level keys are ignored silently, as upstream. Throws
 * `ConfigError` (one line, never containing a secret) for anything invalid,
 * e.g. `config.yaml: connection_settings.port: expected an integer from 1 to 65535, got 'abc'`
 * or `config.yaml: pool_settings: min_size (50) cannot be greater than max_size (5)`
 * (both pool sections are checked whatever the connection type).
 *
 * Call it on the output of `loadConfig` / `loadConfigFromObject` (the
 * `postgresql:` wrapper must already be unwrapped).
 *
 * @example
 * ```ts
 * import { validateConfig } from "./validate.ts";
 * const cfg = validateConfig({
 *   connection_type: "pool",
 *   connection_settings: { host: "localhost", port: "5432", sslmode: "prefer", autocommit: "false" },
 *   pool_settings: { min_size: 2, max_size: 10 },
 *   sync_settings: { statement_timeout: 30000 },
 * });
 * cfg.connection_settings.port; // 5432
 * cfg.connection_settings.autocommit; // false
 * cfg.sync_settings.statement_timeout; // "30000"
 * ```
 */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): PgMonkeyConfig {
  const where: Where = { file: options.file, warn: options.onWarning ?? printWarning };
  if (raw === null || raw === undefined) {
    throw new ConfigError("config is empty; expected a mapping with connection_settings", {
      file: where.file,
    });
  }
  if (!isMapping(raw)) {
    throw new ConfigError(
      `expected a mapping with connection_settings at the top level, got ${describeType(raw)}`,
      { file: where.file },
    );
  }
  const connectionType = resolveConnectionType(options.connectionType, raw, where.file);
  if (!Object.hasOwn(raw, "connection_settings")) {
    fail(
      where,
      "connection_settings",
      "missing; expected a mapping of connection parameters (host, port, user, ...)",
    );
  }
  const cs = raw.connection_settings;
  if (!isMapping(cs)) {
    expected(where, "connection_settings", "a mapping of connection parameters", cs);
  }
  return {
    connection_type: connectionType,
    connection_settings: validateConnectionSettings(where, cs),
    sync_settings: validateSessionSettings(where, "sync_settings", raw.sync_settings),
    async_settings: validateSessionSettings(where, "async_settings", raw.async_settings),
    pool_settings: validatePoolSettings(where, "pool_settings", raw.pool_settings),
    async_pool_settings: validatePoolSettings(
      where,
      "async_pool_settings",
      raw.async_pool_settings,
    ),
  };
}
