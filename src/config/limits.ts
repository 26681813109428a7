/**
 * The bounds a config must stay within, and why each one exists. They are
 * checked by `validateConfig` before anything connects, so a hostile or
 * mistaken value fails in microseconds with one line naming the key, instead
 * of costing memory, time and a misleading network error.
 *
 * | what | bound | why |
 * |---|---|---|
 * | `user`, `dbname`, `application_name` | 63 bytes | PostgreSQL cuts names at NAMEDATALEN - 1 |
 * | `password` | 65535 bytes | the longest authentication message PostgreSQL reads |
 * | `host`, `ssl*` paths, pool `name` | 4095 bytes | the longest path Linux opens (PATH_MAX - 1) |
 * | session settings of one section | 9000 bytes | sent in the startup packet (10000 bytes at most) |
 * | `min_size`, `max_size` | 10000 | far beyond any server (PostgreSQL's ceiling: 262143) |
 * | every string | no NUL byte | libpq and the wire protocol end strings at NUL |
 *
 * @module
 */

/**
 * Longest role, database and application name, in UTF-8 bytes: PostgreSQL's
 * NAMEDATALEN - 1. The server silently cuts longer names (a 70-byte `user`
 * logs in as the role named by its first 63 bytes).
 *
 * @example
 * ```ts
 * import { MAX_NAME_BYTES } from "./limits.ts";
 * MAX_NAME_BYTES; // 63
 * ```
 */
export const MAX_NAME_BYTES = 63;

/**
 * Longest password, in UTF-8 bytes: PostgreSQL reads authentication messages
 * of at most 65535 bytes (PG_MAX_AUTH_TOKEN_LENGTH). Large enough for cloud
 * access tokens used as passwords.
 *
 * @example
 * ```ts
 * import { MAX_PASSWORD_BYTES } from "./limits.ts";
 * MAX_PASSWORD_BYTES; // 65535
 * ```
 */
export const MAX_PASSWORD_BYTES = 65535;

/**
 * Longest value of any other string setting (`host`, the `ssl*` paths, the
 * pool `name`), in UTF-8 bytes: the longest path Linux opens.
 *
 * @example
 * ```ts
 * import { MAX_TEXT_BYTES } from "./limits.ts";
 * MAX_TEXT_BYTES; // 4095
 * ```
 */
export const MAX_TEXT_BYTES = 4095;

/**
 * The largest startup packet PostgreSQL accepts (MAX_STARTUP_PACKET_LENGTH);
 * a larger one makes the server drop the connection (`ECONNRESET`).
 *
 * @example
 * ```ts
 * import { STARTUP_PACKET_MAX_BYTES } from "./limits.ts";
 * STARTUP_PACKET_MAX_BYTES; // 10000
 * ```
 */
export const STARTUP_PACKET_MAX_BYTES = 10000;

/**
 * Most bytes the session settings of one section may take in the startup
 * packet (each setting counts its name, its value and two NUL bytes). The
 * rest of the packet's {@link STARTUP_PACKET_MAX_BYTES} is kept for the
 * user, database, application name and client encoding.
 *
 * @example
 * ```ts
 * import { MAX_SESSION_SETTINGS_BYTES } from "./limits.ts";
 * MAX_SESSION_SETTINGS_BYTES; // 9000
 * ```
 */
export const MAX_SESSION_SETTINGS_BYTES = 9000;

/**
 * PostgreSQL's ceiling for `max_connections` (MAX_BACKENDS, 2^18 - 1).
 *
 * @example
 * ```ts
 * import { POSTGRES_MAX_CONNECTIONS } from "./limits.ts";
 * POSTGRES_MAX_CONNECTIONS; // 262143
 * ```
 */
export const POSTGRES_MAX_CONNECTIONS = 262143;

/**
 * Largest `min_size` / `max_size` of a pool. No server serves more: each
 * connection is a server process of several MB, and `pgserverconfig`'s
 * recommendation (`max_size` × 1.1) must stay a valid `max_connections`
 * (at most {@link POSTGRES_MAX_CONNECTIONS}).
 *
 * @example
 * ```ts
 * import { MAX_POOL_SIZE } from "./limits.ts";
 * MAX_POOL_SIZE; // 10000
 * ```
 */
export const MAX_POOL_SIZE = 10000;

/**
 * Length of `text` in UTF-8 bytes (what PostgreSQL counts), without
 * encoding it.
 *
 * @example
 * ```ts
 * import { utf8ByteLength } from "./limits.ts";
 * utf8ByteLength("café"); // 5
 * utf8ByteLength("😀"); // 4
 * ```
 */
export function utf8ByteLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    // A surrogate pair is 2 code units and 4 bytes: one extra byte per unit.
    n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** The longest value allowed for each string connection setting, and why. */
const CONNECTION_TEXT_LIMITS: Readonly<Record<string, readonly [number, string]>> = {
  user: [MAX_NAME_BYTES, "PostgreSQL cuts role names at NAMEDATALEN - 1 bytes"],
  dbname: [MAX_NAME_BYTES, "PostgreSQL cuts database names at NAMEDATALEN - 1 bytes"],
  application_name: [MAX_NAME_BYTES, "PostgreSQL cuts application_name at NAMEDATALEN - 1 bytes"],
  password: [MAX_PASSWORD_BYTES, "the longest authentication message PostgreSQL reads"],
  host: [MAX_TEXT_BYTES, "far longer than any host name, host list or socket directory"],
  sslcert: [MAX_TEXT_BYTES, "the longest path Linux opens"],
  sslkey: [MAX_TEXT_BYTES, "the longest path Linux opens"],
  sslrootcert: [MAX_TEXT_BYTES, "the longest path Linux opens"],
};

/**
 * The byte limit of a string setting (by its name, e.g. `dbname`) and the
 * reason to print with it: names 63 bytes, the password 65535, anything else
 * (hosts, paths, the pool `name`) 4095.
 *
 * @example
 * ```ts
 * import { textLimit } from "./limits.ts";
 * textLimit("dbname")[0]; // 63
 * textLimit("sslrootcert")[0]; // 4095
 * ```
 */
export function textLimit(name: string): readonly [number, string] {
  return CONNECTION_TEXT_LIMITS[name] ?? [MAX_TEXT_BYTES, "the longest text setting accepted"];
}

/**
 * What is wrong with a string value, or `undefined` when it is fine: a NUL
 * byte anywhere, or more than `limit` UTF-8 bytes. Never quotes the value,
 * so it is safe for passwords.
 *
 * @example
 * ```ts
 * import { textProblem } from "./limits.ts";
 * textProblem("ab\0c", 63, "why"); // "must not contain a NUL byte (found at character 3)"
 * textProblem("x".repeat(70), 63, "why"); // "expected at most 63 bytes (why), got 70 bytes"
 * textProblem("fine", 63, "why"); // undefined
 * ```
 */
export function textProblem(text: string, limit: number, why: string): string | undefined {
  const nul = text.indexOf("\0");
  if (nul >= 0) return `must not contain a NUL byte (found at character ${nul + 1})`;
  if (text.length <= limit / 3) return undefined; // at most 3 bytes per UTF-16 unit
  const bytes = utf8ByteLength(text);
  return bytes > limit ? `expected at most ${limit} bytes (${why}), got ${bytes} bytes` : undefined;
}

/**
 * Names a session-settings section must not use, with the reason: they are
 * not settings but parts of the connection's startup packet (sent as
 * startup parameters, `user` or `database` would silently log in as another
 * role or to another database; `replication` would open a replication
 * connection), or they would break result decoding (`client_encoding`:
 * postgres.js reads UTF-8 only). Compared case-insensitively.
 *
 * @example
 * ```ts
 * import { reservedSessionSetting } from "./limits.ts";
 * reservedSessionSetting("USER"); // "a connection parameter, not a session setting: set connection_settings.user"
 * reservedSessionSetting("work_mem"); // undefined
 * ```
 */
export function reservedSessionSetting(name: string): string | undefined {
  const lower = name.toLowerCase();
  switch (lower) {
    case "user":
      return "a connection parameter, not a session setting: set connection_settings.user";
    case "database":
      return "a connection parameter, not a session setting: set connection_settings.dbname";
    case "replication":
    case "options":
      return "a startup-packet parameter, not a session setting: set the settings you need " +
        "one by one";
    case "client_encoding":
      return "pgmonkey always talks UTF8 to the server (the driver decodes UTF-8 only); " +
        "pgimport/pgexport take the file's encoding from their settings file";
  }
  if (lower.startsWith("_pq_.")) return "a protocol option, not a session setting";
  return undefined;
}

/**
 * The bytes a session-settings section takes in the startup packet: each
 * setting's name and value plus their two terminating NUL bytes.
 *
 * @example
 * ```ts
 * import { sessionSettingsBytes } from "./limits.ts";
 * sessionSettingsBytes({ work_mem: "64MB" }); // 14
 * ```
 */
export function sessionSettingsBytes(settings: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const [name, value] of Object.entries(settings)) {
    n += utf8ByteLength(name) + utf8ByteLength(value) + 2;
  }
  return n;
}
