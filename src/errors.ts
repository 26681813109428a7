/**
 * Error classes thrown by pgmonkey.
 *
 * @module
 */

/** Where a config problem was found. */
export interface ConfigErrorLocation {
  /** The config file path, when the config came from a file. */
  file?: string;
  /** The dotted config key, e.g. `connection_settings.port`. */
  key?: string;
}

/**
 * A config file or object is missing, unreadable, malformed or invalid.
 * The message is one line naming the file and key; it never contains a
 * secret value.
 *
 * @example
 * ```ts
 * import { ConfigError, loadConfig } from "@pgmonkey/pgmonkey";
 * try {
 *   await loadConfig("missing.yaml");
 * } catch (e) {
 *   if (e instanceof ConfigError) console.error(e.message);
 * }
 * ```
 */
export class ConfigError extends Error {
  /** The config file path, if known. */
  readonly file?: string;
  /** The dotted key the problem is about, if any. */
  readonly key?: string;
  /** Builds the message as `file: key: problem`. */
  constructor(problem: string, where: ConfigErrorLocation = {}, options?: ErrorOptions) {
    const parts = [where.file, where.key, problem].filter((p) => p !== undefined && p !== "");
    super(parts.join(": "), options);
    this.name = "ConfigError";
    this.file = where.file;
    this.key = where.key;
  }
}

/**
 * `${VAR}`, `from_env` or `from_file` could not be resolved. Messages are the
 * same, word for word, as pgmonkey (Python)'s `EnvInterpolationError`.
 *
 * @example
 * ```ts
 * import { EnvInterpolationError, loadConfigFromObject } from "@pgmonkey/pgmonkey";
 * try {
 *   loadConfigFromObject({ connection_settings: { host: "${NOT_SET_ANYWHERE}" } }, {
 *     resolveEnv: true,
 *   });
 * } catch (e) {
 *   if (e instanceof EnvInterpolationError) console.error(e.message);
 * }
 * ```
 */
export class EnvInterpolationError extends Error {
  /** Creates the error with the exact upstream message. */
  constructor(message: string) {
    super(message);
    this.name = "EnvInterpolationError";
  }
}

/**
 * No pooled connection became free within the pool's `timeout`.
 *
 * @example
 * ```ts
 * import { PoolTimeoutError } from "@pgmonkey/pgmonkey";
 * const err = new PoolTimeoutError(30);
 * console.log(err.message);
 * ```
 */
export class PoolTimeoutError extends Error {
  /** The timeout that elapsed, in seconds. */
  readonly timeout: number;
  /**
   * Creates the error for a timeout in seconds. `detail` is added in
   * parentheses (e.g. the last connection error); `options.message` replaces
   * the whole message (used for `max_waiting` rejections, which do not wait).
   */
  constructor(timeoutSeconds: number, detail = "", options?: ErrorOptions & { message?: string }) {
    super(
      options?.message ??
        `couldn't get a connection from the pool after ${timeoutSeconds} sec${
          detail ? ` (${detail})` : ""
        }`,
      options,
    );
    this.name = "PoolTimeoutError";
    this.timeout = timeoutSeconds;
  }
}

/** Where a connection attempt went, for error messages (never the password). */
export interface ConnectionTarget {
  /** Host name, IP address or socket directory. */
  host: string;
  /** TCP port. */
  port: number;
  /** Role name, if configured. */
  user?: string;
  /** Database name, if configured. */
  dbname?: string;
}

/**
 * Opening a connection (or a pool's first connections) failed: unreachable
 * host, refused TLS, wrong password, a session setting the server rejects…
 * The message is one line with user, host, port and database, and the
 * server's or the network's reason. It never contains the password.
 *
 * @example
 * ```ts
 * import { ConnectionError } from "@pgmonkey/pgmonkey";
 * const e = new ConnectionError("connection refused", { host: "db", port: 5432, user: "app" });
 * console.log(e.message); // could not connect to app@db:5432: connection refused
 * ```
 */
export class ConnectionError extends Error {
  /** Where the connection was going. */
  readonly target: ConnectionTarget;
  /** SQLSTATE or driver/network error code, when there is one. */
  readonly code?: string;
  /** Creates the error; `reason` must already be free of secrets. */
  constructor(
    reason: string,
    target: ConnectionTarget,
    options?: ErrorOptions & { code?: string },
  ) {
    const who = `${target.user ? `${target.user}@` : ""}${target.host}:${target.port}${
      target.dbname ? `/${target.dbname}` : ""
    }`;
    super(`could not connect to ${who}: ${reason}`, options);
    this.name = "ConnectionError";
    this.target = target;
    this.code = options?.code;
  }
}
