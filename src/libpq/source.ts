/**
 * Where a resolved connection parameter came from, and one-line errors that
 * name that place: the config key, the environment variable, or the service
 * file and line.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";

/**
 * The origin of one parameter, in libpq's order of precedence:
 * `config` (the pgmonkey file's `connection_settings`), `service:<file>:<line>`
 * (a `pg_service.conf` entry), `env:<NAME>` (an environment variable), or
 * `default` (libpq's built-in default).
 */
export type Source = "config" | `service:${string}` | `env:${string}` | "default";

/** Where errors about config values point: the config file, if any. */
export interface SourceContext {
  /** The config file, for errors about `connection_settings` values. */
  file?: string;
}

/**
 * Names a parameter's origin for messages: `connection_settings.port`,
 * `environment variable PGPORT`, `/etc/pg_service.conf:4`, `libpq default`.
 *
 * @example
 * ```ts
 * import { describeSource } from "./source.ts";
 * describeSource("env:PGPORT", "port"); // "environment variable PGPORT"
 * describeSource("config", "port"); // "connection_settings.port"
 * ```
 */
export function describeSource(source: Source, keyword: string): string {
  if (source === "config") return `connection_settings.${keyword}`;
  if (source === "default") return "libpq default";
  if (source.startsWith("env:")) return `environment variable ${source.slice(4)}`;
  return source.slice("service:".length);
}

/**
 * A one-line `ConfigError` about the value of `keyword` that came from
 * `source`: `config.yaml: connection_settings.port: …`,
 * `environment variable PGPORT: …`, or `/etc/pg_service.conf:4: port: …`.
 *
 * @example
 * ```ts
 * import { sourceError } from "./source.ts";
 * sourceError("env:PGSSLMODE", "sslmode", 'invalid sslmode "x"').message;
 * // 'environment variable PGSSLMODE: invalid sslmode "x"'
 * ```
 */
export function sourceError(
  source: Source,
  keyword: string,
  problem: string,
  context: SourceContext = {},
): ConfigError {
  if (source === "config") {
    return new ConfigError(problem, { file: context.file, key: `connection_settings.${keyword}` });
  }
  if (source.startsWith("service:")) {
    return new ConfigError(problem, { file: describeSource(source, keyword), key: keyword });
  }
  return new ConfigError(problem, { key: describeSource(source, keyword) });
}
