/**
 * Environment-variable and secret-file interpolation, with the exact
 * semantics and error texts of pgmonkey (Python)'s `resolve_env_vars`:
 *
 * - `${VAR}` and `${VAR:-default}` inside strings (several per string; the
 *   default cannot contain `}` or a newline; no escape syntax: `$${A}` gives
 *   `$` + the value of `A`; `$A` and `${1BAD}` stay as they are).
 * - A variable that is set to the empty string counts as set.
 * - A default on a sensitive key (`password`, `sslkey`, `sslcert`,
 *   `sslrootcert`, `*token*`, `*secret*`, `*credential*`; the last dotted
 *   segment of the key path is tested) is an error unless
 *   `allowSensitiveDefaults` is set.
 * - `{from_env: NAME}` and `{from_file: PATH}` — a mapping with exactly that
 *   one key — are replaced by the variable's value or the file's text (with
 *   `\r\n` and lone `\r` read as `\n` and only trailing `\n`s removed).
 * - Only mappings are walked. In lists, string items are interpolated (path
 *   `key[i]`); other items, including mappings and `from_env` references
 *   inside lists, are left alone.
 *
 * The input is never mutated; the result shares nothing with it.
 *
 * @module
 */

import process from "node:process";
import { EnvInterpolationError } from "../errors.ts";
import { isSensitiveKey } from "./sensitive.ts";
import { errorCode, pyOsErrorText } from "./oserror.ts";
import { decodeUtf8Strict } from "./utf8.ts";
import { readSmallFileSync } from "./small_file.ts";
import { deepCopy, defineEntry, describeType, isMapping, type Mapping } from "./values.ts";
import type { RawConfig } from "./types.ts";

/**
 * Options for {@link resolveEnvVars}.
 *
 * @example
 * ```ts
 * import { resolveEnvVars, type ResolveEnvOptions } from "./interpolate.ts";
 * const options: ResolveEnvOptions = {
 *   env: (name) => (name === "PGHOST" ? "db.internal" : undefined),
 *   readFile: () => "s3cr3t\n",
 * };
 * resolveEnvVars({ host: "${PGHOST}", password: { from_file: "/run/secrets/pw" } }, options);
 * // { host: "db.internal", password: "s3cr3t" }
 * ```
 */
export interface ResolveEnvOptions {
  /** Allow `${VAR:-default}` on sensitive keys such as `password` (default false). */
  allowSensitiveDefaults?: boolean;
  /**
   * Looks up an environment variable (default: `Deno.env.get` under Deno,
   * `process.env` under Node). Return `undefined` for "not set".
   */
  env?: (name: string) => string | undefined;
  /**
   * Reads a `from_file` secret as text (default: synchronous UTF-8 read).
   * Throw an error with a Node-style `code` (`ENOENT`, `EACCES`, `EISDIR`)
   * to get pgmonkey's messages.
   */
  readFile?: (path: string) => string;
}

/** `${NAME}` / `${NAME:-default}`; Python's `.` (no `\n`) is spelled `[^\n]`. */
const ENV_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^\n]*?))?\}/g;
/** {@link ENV_PATTERN} without the global flag (no `lastIndex` state), for tests. */
const ONE_ENV_REFERENCE = new RegExp(ENV_PATTERN.source);

interface DenoEnvLike {
  env: { get(name: string): string | undefined };
}

/**
 * Reads an environment variable under Deno or Node. Names that no
 * environment can hold (empty, containing `=` or NUL) are "not set".
 *
 * @example
 * ```ts
 * import { getEnv } from "./interpolate.ts";
 * getEnv("HOME");
 * ```
 */
export function getEnv(name: string): string | undefined {
  if (name === "" || name.includes("=") || name.includes("\0")) return undefined;
  const deno = (globalThis as { Deno?: DenoEnvLike }).Deno;
  if (deno?.env) return deno.env.get(name);
  return process.env[name];
}

/**
 * The largest `from_file` secret read: 1 MiB (a password or token is far
 * smaller). Larger files, and anything that is not a regular file (a FIFO
 * would block, `/dev/zero` never ends), are refused before being read.
 *
 * @example
 * ```ts
 * import { MAX_SECRET_FILE_BYTES } from "./interpolate.ts";
 * MAX_SECRET_FILE_BYTES; // 1048576
 * ```
 */
export const MAX_SECRET_FILE_BYTES = 1 << 20;

/**
 * Reads a secret file like Python's `open(path, 'r').read()` with a UTF-8
 * locale: strict UTF-8 (a BOM is kept), universal newlines. Only a regular
 * file of at most {@link MAX_SECRET_FILE_BYTES} is read.
 *
 * @example
 * ```ts
 * import { readSecretFile } from "./interpolate.ts";
 * // readSecretFile("/run/secrets/db_password");
 * ```
 */
export function readSecretFile(path: string): string {
  return decodeUtf8Strict(readSmallFileSync(path, MAX_SECRET_FILE_BYTES));
}

interface Context {
  allowSensitiveDefaults: boolean;
  env: (name: string) => string | undefined;
  readFile: (path: string) => string;
}

function isStructuredRef(value: unknown): value is Mapping {
  if (!isMapping(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === "from_env" || keys[0] === "from_file");
}

/** {@link ENV_PATTERN} without the global flag (`RegExp.test` keeps no state then). */
const HAS_ENV_PATTERN = new RegExp(ENV_PATTERN.source);

/**
 * Whether `value` is something interpolation would replace: a string with a
 * `${VAR}` / `${VAR:-default}` reference, or a `{from_env: …}` /
 * `{from_file: …}` mapping.
 *
 * @example
 * ```ts
 * import { hasEnvReference } from "./interpolate.ts";
 * hasEnvReference("${PGPORT}"); // true
 * hasEnvReference({ from_env: "PGPASSWORD" }); // true
 * hasEnvReference("5432"); // false
 * ```
 */
export function hasEnvReference(value: unknown): boolean {
  if (typeof value === "string") return value.includes("${") && HAS_ENV_PATTERN.test(value);
  return isStructuredRef(value);
}

function resolveStructuredRef(ref: Mapping, keyPath: string, ctx: Context): string {
  if ("from_env" in ref) {
    const name = ref.from_env;
    if (typeof name !== "string") {
      throw new EnvInterpolationError(
        `Invalid from_env reference for config key '${keyPath}': expected an environment variable name, got ${
          describeType(name)
        }.`,
      );
    }
    const value = ctx.env(name);
    if (value === undefined) {
      throw new EnvInterpolationError(
        `Environment variable '${name}' is not set (referenced by config key '${keyPath}' via from_env).`,
      );
    }
    return value;
  }
  const path = ref.from_file;
  if (typeof path !== "string") {
    throw new EnvInterpolationError(
      `Invalid from_file reference for config key '${keyPath}': expected a file path, got ${
        describeType(path)
      }.`,
    );
  }
  let text: string;
  try {
    text = ctx.readFile(path);
  } catch (e) {
    if (errorCode(e) === "ENOENT") {
      throw new EnvInterpolationError(
        `Secret file '${path}' not found (referenced by config key '${keyPath}' via from_file).`,
      );
    }
    throw new EnvInterpolationError(
      `Could not read secret file '${path}' (referenced by config key '${keyPath}' via from_file): ${
        pyOsErrorText(e, path)
      }`,
    );
  }
  // Python text mode (universal newlines), then rstrip('\n').
  return text.replace(/\r\n?/g, "\n").replace(/\n+$/, "");
}

function resolveVar(
  name: string,
  fallback: string | undefined,
  keyPath: string,
  ctx: Context,
): string {
  const value = ctx.env(name);
  if (value !== undefined) return value;
  if (fallback !== undefined) {
    const lastSegment = keyPath.slice(keyPath.lastIndexOf(".") + 1);
    if (!ctx.allowSensitiveDefaults && isSensitiveKey(lastSegment)) {
      throw new EnvInterpolationError(
        `Default values are not allowed for sensitive key '${keyPath}'. Set the environment variable \${${name}} instead.`,
      );
    }
    return fallback;
  }
  throw new EnvInterpolationError(
    `Environment variable '${name}' is not set and no default was provided (referenced by config key '${keyPath}').`,
  );
}

function interpolateString(value: string, keyPath: string, ctx: Context): string {
  return value.replace(
    ENV_PATTERN,
    (_match: string, name: string, fallback: string | undefined) =>
      resolveVar(name, fallback, keyPath, ctx),
  );
}

function walk(config: Mapping, parent: string, ctx: Context): Mapping {
  const result: Mapping = {};
  for (const [key, value] of Object.entries(config)) {
    const path = parent ? `${parent}.${key}` : key;
    let out: unknown;
    if (isStructuredRef(value)) out = resolveStructuredRef(value, path, ctx);
    else if (isMapping(value)) out = walk(value, path, ctx);
    else if (typeof value === "string" && value.includes("${")) {
      out = interpolateString(value, path, ctx);
    } else if (Array.isArray(value)) {
      out = value.map((item, i) =>
        typeof item === "string" && item.includes("${")
          ? interpolateString(item, `${path}[${i}]`, ctx)
          : deepCopy(item)
      );
    } else out = deepCopy(value);
    defineEntry(result, key, out);
  }
  return result;
}

/**
 * Resolves `${VAR}`, `${VAR:-default}`, `from_env` and `from_file` in a
 * parsed config (see the module documentation for the exact rules). A
 * non-mapping input is returned as it is. Throws `EnvInterpolationError`
 * with pgmonkey (Python)'s messages, e.g.
 * `Environment variable 'PGHOST' is not set and no default was provided (referenced by config key 'connection_settings.host').`
 *
 * @param config A parsed config (not mutated).
 * @param options Environment and file lookups, sensitive-default policy.
 * @returns A new config with every reference resolved.
 *
 * @example
 * ```ts
 * import { resolveEnvVars } from "./interpolate.ts";
 * const cfg = resolveEnvVars(
 *   { connection_settings: { host: "${PGHOST:-localhost}", password: { from_env: "PGPASSWORD" } } },
 *   { env: (name) => ({ PGPASSWORD: "s3cr3t" } as Record<string, string>)[name] },
 * );
 * // { connection_settings: { host: "localhost", password: "s3cr3t" } }
 * ```
 */
export function resolveEnvVars(config: RawConfig, options?: ResolveEnvOptions): RawConfig;
/**
 * Resolves references in any parsed value; non-mappings are returned as they are.
 *
 * @example
 * ```ts
 * import { resolveEnvVars } from "./interpolate.ts";
 * resolveEnvVars(["${HOME}"]); // ["${HOME}"] (lists at the top are not walked)
 * ```
 */
export function resolveEnvVars(config: unknown, options?: ResolveEnvOptions): unknown;
export function resolveEnvVars(config: unknown, options: ResolveEnvOptions = {}): unknown {
  if (!isMapping(config)) return config;
  return walk(config, "", {
    allowSensitiveDefaults: options.allowSensitiveDefaults ?? false,
    env: options.env ?? getEnv,
    readFile: options.readFile ?? readSecretFile,
  });
}

/**
 * The dotted key of the first `${VAR}`, `from_env` or `from_file` reference
 * that {@link resolveEnvVars} would resolve (walking the config the same
 * way), or `undefined` when there is none. The CLI uses it to hint at
 * `--resolve-env`.
 *
 * @example
 * ```ts
 * import { findEnvReference } from "./interpolate.ts";
 * findEnvReference({ connection_settings: { host: "db", password: { from_env: "PW" } } });
 * // "connection_settings.password"
 * findEnvReference({ connection_settings: { host: "$HOST" } }); // undefined
 * ```
 */
export function findEnvReference(config: unknown, parent = ""): string | undefined {
  if (!isMapping(config)) return undefined;
  for (const [key, value] of Object.entries(config)) {
    const path = parent ? `${parent}.${key}` : key;
    if (isStructuredRef(value) || isReferenceText(value)) return path;
    if (isMapping(value)) {
      const inner = findEnvReference(value, path);
      if (inner !== undefined) return inner;
    } else if (Array.isArray(value)) {
      const i = value.findIndex(isReferenceText);
      if (i >= 0) return `${path}[${i}]`;
    }
  }
  return undefined;
}

function isReferenceText(value: unknown): boolean {
  return typeof value === "string" && value.includes("${") && ONE_ENV_REFERENCE.test(value);
}
