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
 * means "not set" (libpq's default), like `null` (but see
 * `ConnectionSettings.emptyKeys`: for libpq an empty value also shuts out its
 * environment variable).
 *
 * `connection_settings` also accepts libpq keywords pgmonkey (Python) drops
 * with a warning (`LIBPQ_EXTRA_SETTING_KEYS`: `hostaddr`, `service`,
 * `passfile`, `options`, `sslnegotiation`, `target_session_attrs`,
 * `load_balance_hosts`); here they are read without a warning. `host`,
 * `hostaddr` and `port` take libpq's comma-separated lists.
 *
 * It also enforces the bounds of `limits.ts` (name lengths, NUL bytes, the
 * startup packet, pool sizes), so a hostile value fails here, before any
 * work, rather than inside the driver or on the server.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { isIP } from "node:net";
import {
  CONNECTION_SETTING_KEYS,
  CONNECTION_TYPES,
  type ConnectionSettings,
  type ConnectionType,
  type ForeignConnectionPolicy,
  JS_SETTING_KEYS,
  type JsSettings,
  LIBPQ_EXTRA_SETTING_KEYS,
  LOAD_BALANCE_HOSTS,
  type NoticeMode,
  type PgMonkeyConfig,
  type PoolSettings,
  type SessionSettings,
  SSL_MODES,
  SSL_NEGOTIATIONS,
  TARGET_SESSION_ATTRS,
} from "./types.ts";
import { isSensitiveKey } from "./sensitive.ts";
import { pyNumberStr, pyRepr, pyStr } from "./pystr.ts";
import { defineEntry, describeType, isMapping, type Mapping, pyTruthy } from "./values.ts";
import { printWarning, type WarningHandler } from "./warn.ts";
import { hasEnvReference } from "./interpolate.ts";
import {
  MAX_NAME_BYTES,
  MAX_POOL_SIZE,
  MAX_SESSION_SETTINGS_BYTES,
  POSTGRES_MAX_CONNECTIONS,
  reservedSessionSetting,
  sessionSettingsBytes,
  STARTUP_PACKET_MAX_BYTES,
  textLimit,
  textProblem,
} from "./limits.ts";

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
  /**
   * Accept `${VAR}`, `from_env` and `from_file` references without checking
   * them (they are left out of the result): for commands that read a config
   * without interpolating it, such as `pgserverconfig` without
   * `--resolve-env`. Default false: a reference is checked as the value it
   * is, so an uninterpolated `port: ${PGPORT}` is an error.
   */
  allowUnresolved?: boolean;
  /** Receives the warnings about unknown keys (default: printed to stderr). */
  onWarning?: WarningHandler;
}

/** Where errors are reported (the file), whether references are skipped, and where warnings go. */
interface Where {
  file?: string;
  allowUnresolved?: boolean;
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

const POOL_SIZE_WHY = `a pool holds at most ${MAX_POOL_SIZE} connections; ` +
  `PostgreSQL's own ceiling is ${POSTGRES_MAX_CONNECTIONS}`;

/** `min_size` / `max_size`: an integer from `min` to {@link MAX_POOL_SIZE}. */
function poolSize(where: Where, key: string, value: unknown, min: number): number {
  const n = asInteger(value);
  if (n === undefined || n < min || n > MAX_POOL_SIZE) {
    const hint = n !== undefined && n > MAX_POOL_SIZE ? ` (${POOL_SIZE_WHY})` : "";
    expected(where, key, `an integer from ${min} to ${MAX_POOL_SIZE}`, value, hint);
  }
  return n;
}

/** A string setting of at most `limit` UTF-8 bytes without NUL bytes (see `limits.ts`). */
function stringSetting(
  where: Where,
  key: string,
  value: unknown,
  [limit, why]: readonly [number, string] = textLimit(""),
): string {
  if (typeof value === "string") {
    const problem = textProblem(value, limit, why);
    if (problem) fail(where, key, problem);
    return value;
  }
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

/** Checks a value against a list of allowed words, with sslmode's error text. */
function oneOf<T extends string>(
  where: Where,
  key: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    fail(
      where,
      key,
      `invalid ${name} ${shown(value, key)}; expected one of: ${allowed.join(", ")}`,
    );
  }
  return value as T;
}

const PORT_WORDS = "an integer from 1 to 65535";
const LIST_HINT = " (write several as one comma-separated string, e.g. 'db1,db2')";

function portNumber(value: unknown): number | undefined {
  const port = asInteger(value);
  return port !== undefined && port >= 1 && port <= 65535 ? port : undefined;
}

/** A single port, or (for text with a comma) libpq's port list: empty entries mean 5432. */
function portSetting(where: Where, key: string, value: unknown, out: ConnectionSettings): void {
  if (typeof value === "string" && value.includes(",")) {
    // libpq: an empty entry means the default port; anything else must be a port.
    const entries = value.split(",");
    const list = entries.map((entry) => entry === "" ? undefined : portNumber(entry));
    if (entries.some((entry, i) => entry !== "" && list[i] === undefined)) {
      expected(where, key, `${PORT_WORDS} or a comma-separated list of them`, value);
    }
    out.portList = list;
    return;
  }
  const port = portNumber(value);
  if (port === undefined) {
    expected(where, key, PORT_WORDS, value, Array.isArray(value) ? LIST_HINT : "");
  }
  out.port = port;
}

/** libpq's hostaddr: numeric IP addresses only; empty list entries fall back to `host`. */
function hostaddrSetting(where: Where, key: string, value: unknown): string {
  const text = stringSetting(where, key, value);
  if (text.split(",").some((entry) => entry !== "" && isIP(entry) === 0)) {
    expected(where, key, "numeric IP addresses (comma-separated for several hosts)", value);
  }
  return text;
}

/** The keys that take one of a few words, and the words. */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  sslmode: SSL_MODES,
  sslnegotiation: SSL_NEGOTIATIONS,
  target_session_attrs: TARGET_SESSION_ATTRS,
  load_balance_hosts: LOAD_BALANCE_HOSTS,
};

/** The keys pgmonkey (Python) hands to libpq, for which `''` differs from absent. */
const LIBPQ_KEYS_OF_PYTHON = CONNECTION_SETTING_KEYS.filter((k) => k !== "autocommit");

/** Left out of the result: unset, or a reference that is not resolved on purpose. */
function isSkipped(where: Where, value: unknown): boolean {
  return isUnset(value) || (where.allowUnresolved === true && hasEnvReference(value));
}

function validateConnectionSettings(where: Where, raw: Mapping): ConnectionSettings {
  const section = "connection_settings";
  const unknown = Object.keys(raw).filter((k) =>
    !CONNECTION_SETTING_KEYS.includes(k) && !LIBPQ_EXTRA_SETTING_KEYS.includes(k)
  );
  if (unknown.length > 0) {
    where.warn(
      `Unknown connection settings ignored: ${pySorted(unknown).join(", ")}. Valid keys: ${
        CONNECTION_SETTING_KEYS.join(", ")
      }`,
    );
  }
  const out: ConnectionSettings = {};
  const emptyKeys: string[] = [];
  for (const name of [...CONNECTION_SETTING_KEYS, ...LIBPQ_EXTRA_SETTING_KEYS]) {
    if (!Object.hasOwn(raw, name)) continue;
    const value = raw[name];
    if (isUnset(value)) {
      if (value === "" && LIBPQ_KEYS_OF_PYTHON.includes(name)) emptyKeys.push(name);
      continue;
    }
    if (isSkipped(where, value)) continue;
    const key = `${section}.${name}`;
    switch (name) {
      case "port":
        portSetting(where, key, value, out);
        break;
      case "sslmode":
      case "sslnegotiation":
      case "target_session_attrs":
      case "load_balance_hosts":
        (out as Record<string, unknown>)[name] = oneOf(where, key, name, value, CHOICES[name]);
        break;
      case "hostaddr":
        out.hostaddr = hostaddrSetting(where, key, value);
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
        const hint = name === "host" && Array.isArray(value) ? LIST_HINT : "";
        if (hint) expected(where, key, "a string", value, hint);
        const text = stringSetting(where, key, value, textLimit(name));
        if (text !== "") {
          (out as Record<string, unknown>)[name] = text;
        }
      }
    }
  }
  if (emptyKeys.length > 0) out.emptyKeys = emptyKeys;
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
    if (where.allowUnresolved && hasEnvReference(value)) continue;
    const key = `${section}.${name}`;
    if (name === "") fail(where, section, "a setting name is empty");
    const badName = textProblem(name, Infinity, "");
    if (badName) {
      fail(where, section, `setting name ${pyRepr(name)} ${badName}`);
    }
    const reserved = reservedSessionSetting(name);
    if (reserved) fail(where, key, reserved);
    if (typeof value === "object") {
      expected(where, key, "a single value (string, number or boolean)", value);
    }
    const text = pyStr(value);
    const isName = name.toLowerCase() === "application_name";
    const problem = isName
      ? textProblem(
        text,
        MAX_NAME_BYTES,
        "PostgreSQL cuts application_name at NAMEDATALEN - 1 bytes",
      )
      : textProblem(text, Infinity, "");
    if (problem) fail(where, key, problem);
    defineEntry(out, name, text);
  }
  const bytes = sessionSettingsBytes(out);
  if (bytes > MAX_SESSION_SETTINGS_BYTES) {
    fail(
      where,
      section,
      `the settings take ${bytes} bytes, expected at most ${MAX_SESSION_SETTINGS_BYTES}: they ` +
        `are sent in the connection's startup packet, which PostgreSQL limits to ` +
        `${STARTUP_PACKET_MAX_BYTES} bytes`,
    );
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
    if (isSkipped(where, value)) continue;
    const key = `${section}.${name}`;
    switch (name) {
      case "max_waiting":
      case "num_workers":
        out[name] = integerAtLeast(where, key, value, 0);
        break;
      case "min_size":
        out.min_size = poolSize(where, key, value, 0);
        break;
      case "max_size":
        out.max_size = poolSize(where, key, value, 1);
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
  const where: Where = {
    file: options.file,
    allowUnresolved: options.allowUnresolved,
    warn: options.onWarning ?? printWarning,
  };
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
  const typeSource = where.allowUnresolved && hasEnvReference(raw.connection_type) ? {} : raw;
  const connectionType = resolveConnectionType(options.connectionType, typeSource, where.file);
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
    js_settings: validateJsSettings(where, raw.js_settings),
  };
}

/**
 * `js_settings`, this library's own section: unknown keys are an error (a
 * misspelt key would otherwise silently do nothing; Python ignores the whole
 * section, so this never affects it).
 */
function validateJsSettings(where: Where, raw: unknown): JsSettings {
  const section = "js_settings";
  if (!pyTruthy(raw)) return {};
  if (!isMapping(raw)) expected(where, section, "a mapping", raw);
  const out: JsSettings = {};
  for (const [name, value] of Object.entries(raw)) {
    const key = `${section}.${name}`;
    if (!JS_SETTING_KEYS.includes(name)) {
      fail(where, key, `unknown key; expected one of: ${JS_SETTING_KEYS.join(", ")}`);
    }
    if (isSkipped(where, value)) continue;
    switch (name) {
      case "pgbouncer":
      case "reread_secrets":
        out[name] = booleanSetting(where, key, value);
        break;
      case "leak_detection_threshold":
        out.leak_detection_threshold = nonNegativeNumber(where, key, value);
        break;
      case "notices":
        out.notices = oneOf(where, key, "notices", value, NOTICE_MODES);
        break;
      case "foreign_connections":
        out.foreign_connections = oneOf(where, key, "foreign_connections", value, FOREIGN_POLICIES);
        break;
    }
  }
  return out;
}

const NOTICE_MODES: readonly NoticeMode[] = ["warnings", "all", "none"];
const FOREIGN_POLICIES: readonly ForeignConnectionPolicy[] = ["warn", "reject", "allow"];
