/**
 * The password file (`~/.pgpass`, or `passfile` / `PGPASSFILE`) with libpq's
 * rules (`passwordFromFile` in libpq's `fe-connect.c`):
 *
 * - Consulted only when no password was given (or an empty one), separately
 *   for each host, at connection time.
 * - Each line is `hostname:port:database:username:password`; the first
 *   line whose four fields match wins. A field that is exactly `*` matches
 *   anything; `\:` and `\\` stand for `:` and `\`.
 * - The host compared is the host name (else the `hostaddr`); an empty host
 *   and libpq's compiled-in socket directory compare as `localhost`.
 * - Lines starting with `#` are comments; a line with fewer fields never
 *   matches (it is skipped, with no message); the password ends at the next
 *   unescaped `:`.
 * - A file that is not a plain file, or that group or others may access, is
 *   ignored with libpq's warning (not on Windows).
 *
 * @module
 */
import type { FileInfo, LibpqEnvironment } from "./io.ts";
import { isUnixSocketHost, type TargetHost } from "./hosts.ts";

/** The four fields a `.pgpass` line is matched against. */
export interface PgpassQuery {
  /** Host name as libpq compares it (see {@link pgpassHost}). */
  host: string;
  /** Port, as text or number. */
  port: number | string;
  /** Database name. */
  dbname: string;
  /** Role name. */
  user: string;
}

/** A password found in the password file. */
export interface PgpassMatch {
  /** The password (a secret: redact it wherever it could be shown). */
  password: string;
  /** The password file. */
  file: string;
  /** The 1-based line it came from. */
  line: number;
}

/** libpq's `pwdfMatchesString`: the index after the field if it matches `token`, else undefined. */
function matchField(buf: string, pos: number, token: string): number | undefined {
  if (buf[pos] === "*" && buf[pos + 1] === ":") return pos + 2;
  let i = pos;
  let t = 0;
  let escaped = false;
  while (i < buf.length) {
    if (buf[i] === "\\" && !escaped) {
      i++;
      escaped = true;
    }
    if (buf[i] === ":" && t === token.length && !escaped) return i + 1;
    escaped = false;
    if (t === token.length || buf[i] !== token[t]) return undefined;
    i++;
    t++;
  }
  return undefined;
}

/** The password field from `pos`: up to the next unescaped `:`, `\x` meaning `x`. */
function passwordField(buf: string, pos: number): string {
  let out = "";
  for (let i = pos; i < buf.length && buf[i] !== ":"; i++) {
    if (buf[i] === "\\" && i + 1 < buf.length) i++;
    out += buf[i];
  }
  return out;
}

/**
 * The password of one `.pgpass` line (without its line end) if its first
 * four fields match `query`, else `undefined`.
 *
 * @example
 * ```ts
 * import { matchPgpassLine } from "./pgpass.ts";
 * const q = { host: "db", port: 5432, dbname: "app", user: "u" };
 * matchPgpassLine("db:5432:*:u:s3cr\\:et", q); // "s3cr:et"
 * matchPgpassLine("other:*:*:*:x", q); // undefined
 * ```
 */
export function matchPgpassLine(line: string, query: PgpassQuery): string | undefined {
  let pos: number | undefined = 0;
  for (const token of [query.host, String(query.port), query.dbname, query.user]) {
    pos = matchField(line, pos, token);
    if (pos === undefined) return undefined;
  }
  return passwordField(line, pos);
}

/**
 * The first matching line of a password file's text, or `undefined`.
 * Comment lines (`#` first) and empty lines are skipped; `\r\n` line ends
 * are fine.
 *
 * @example
 * ```ts
 * import { findPgpassPassword } from "./pgpass.ts";
 * const text = "# comment\nlocalhost:*:*:app:pw1\n*:*:*:*:pw2\n";
 * findPgpassPassword(text, { host: "db", port: 5432, dbname: "x", user: "app" });
 * // { password: "pw2", line: 3 }
 * ```
 */
export function findPgpassPassword(
  text: string,
  query: PgpassQuery,
): { password: string; line: number } | undefined {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith("#")) continue;
    const line = lines[i].replace(/[\r\n]+$/, "");
    if (line === "") continue;
    const password = matchPgpassLine(line, query);
    if (password !== undefined) return { password, line: i + 1 };
  }
  return undefined;
}

/**
 * The host name libpq looks up in the password file for `host`: the host
 * name, else its `hostaddr`; `localhost` for an empty one and for libpq's
 * compiled-in socket directory (other socket directories compare as written).
 *
 * @example
 * ```ts
 * import { pgpassHost } from "./pgpass.ts";
 * const sock = { host: "/var/run/postgresql", port: 5432, kind: "unix", address: "" } as const;
 * pgpassHost(sock, "/var/run/postgresql"); // "localhost"
 * ```
 */
export function pgpassHost(host: TargetHost, compiledSocketDir: string): string {
  const name = host.host !== "" ? host.host : host.hostaddr ?? "";
  if (name === "") return "localhost";
  if (isUnixSocketHost(name) && name === compiledSocketDir) return "localhost";
  return name;
}

/**
 * libpq's warning when a password file must be ignored: not a plain file, or
 * readable or writable by group or others. `undefined` when it is fine.
 *
 * @example
 * ```ts
 * import { pgpassFileWarning } from "./pgpass.ts";
 * pgpassFileWarning("/home/u/.pgpass", { kind: "file", mode: 0o644 });
 * // 'WARNING: password file "/home/u/.pgpass" has group or world access; permissions should be u=rw (0600) or less'
 * ```
 */
export function pgpassFileWarning(path: string, info: FileInfo): string | undefined {
  if (info.kind !== "file") return `WARNING: password file "${path}" is not a plain file`;
  if (info.mode & 0o077) {
    return `WARNING: password file "${path}" has group or world access; ` +
      `permissions should be u=rw (0600) or less`;
  }
  return undefined;
}

/**
 * Looks a password up in the password file `file` as libpq does for one
 * host: nothing when the file is missing or unreadable; a warning (through
 * `environment.warn`) and nothing when it is not a plain file or is group or
 * world accessible; else the first matching line. The file is read on every
 * call, like libpq reads it for every new connection.
 *
 * @example
 * ```ts ignore
 * import { lookupPgpass } from "./pgpass.ts";
 * import { systemLibpqEnvironment } from "./io.ts";
 * const match = await lookupPgpass(
 *   "/home/u/.pgpass",
 *   { host: "db", port: 5432, dbname: "app", user: "u" },
 *   await systemLibpqEnvironment(),
 * );
 * ```
 */
export async function lookupPgpass(
  file: string,
  query: PgpassQuery,
  environment: Pick<LibpqEnvironment, "files" | "warn" | "windows">,
): Promise<PgpassMatch | undefined> {
  if (query.dbname === "" || query.user === "") return undefined;
  const info = await environment.files.stat(file);
  if (info === undefined) return undefined;
  if (!environment.windows) {
    const warning = pgpassFileWarning(file, info);
    if (warning !== undefined) {
      environment.warn(warning);
      return undefined;
    }
  }
  const text = await environment.files.readText(file);
  if (text === undefined) return undefined;
  const found = findPgpassPassword(text, query);
  return found && { password: found.password, file, line: found.line };
}

/**
 * What libpq adds to a "password authentication failed" error (SQLSTATE
 * 28P01) when the password came from the password file.
 *
 * @example
 * ```ts
 * import { pgpassAuthHint } from "./pgpass.ts";
 * pgpassAuthHint("/home/u/.pgpass"); // 'password retrieved from file "/home/u/.pgpass"'
 * ```
 */
export function pgpassAuthHint(file: string): string {
  return `password retrieved from file "${file}"`;
}
