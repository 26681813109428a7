/**
 * What libpq's parameter resolution reads from the machine, as one value the
 * pure resolver takes: the environment, the OS user, the home directory, the
 * default socket directory, and file access. {@link systemLibpqEnvironment}
 * reads the real ones (Deno and Node alike); tests build their own.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import os from "node:os";
import process from "node:process";
import { printWarning, type WarningHandler } from "../config/warn.ts";
import { LIBPQ_ENV_VARS } from "./params.ts";

/** What {@link FileAccess.stat} reports about a path. */
export interface FileInfo {
  /** A regular file, a directory, or something else (socket, device, …). */
  kind: "file" | "directory" | "other";
  /** The permission bits (`st_mode & 0o777`). */
  mode: number;
}

/** File access as libpq does it: `stat` (following symlinks) and reading text. */
export interface FileAccess {
  /** Facts about `path`, or `undefined` when it does not exist or cannot be examined. */
  stat(path: string): Promise<FileInfo | undefined>;
  /** The file's text (UTF-8), or `undefined` when it cannot be opened. */
  readText(path: string): Promise<string | undefined>;
}

/** Everything libpq's defaults depend on. */
export interface LibpqEnvironment {
  /** Environment variables (only the `PG*` ones, `HOME` and `APPDATA` are read). */
  env: Readonly<Record<string, string | undefined>>;
  /** The OS user name (libpq's default `user`); `undefined` when it cannot be looked up. */
  userName?: string;
  /** The user's home directory from the password database, used when `HOME` is unset or empty. */
  homeDir?: string;
  /**
   * The Unix socket directory libpq was built with (its default host), when
   * that directory exists here; `undefined` makes `localhost` the default host.
   */
  socketDir?: string;
  /** libpq's compiled-in socket directory, which `.pgpass` treats as `localhost`. */
  compiledSocketDir: string;
  /** libpq's compiled-in configuration directory (for `pg_service.conf`), unless `PGSYSCONFDIR` is set. */
  sysconfDir: string;
  /** Windows: `%APPDATA%\postgresql\pgpass.conf`, no permission check on it. */
  windows?: boolean;
  /** File access. */
  files: FileAccess;
  /** Receives libpq's warnings (e.g. an insecure `.pgpass`), one line each. */
  warn: (message: string) => void;
}

/**
 * libpq's notion of the home directory: `HOME` when set and not empty, else
 * the password database entry; on Windows `%APPDATA%\postgresql`.
 *
 * @example
 * ```ts
 * import { libpqHome } from "./io.ts";
 * libpqHome({ env: { HOME: "/home/u" }, homeDir: "/root" }); // "/home/u"
 * libpqHome({ env: { HOME: "" }, homeDir: "/root" }); // "/root"
 * ```
 */
export function libpqHome(
  environment: Pick<LibpqEnvironment, "env" | "homeDir" | "windows">,
): string | undefined {
  const { env } = environment;
  if (environment.windows) return env.APPDATA ? `${env.APPDATA}\\postgresql` : undefined;
  return env.HOME ? env.HOME : environment.homeDir;
}

/**
 * Debian's (and Ubuntu's, RHEL's) libpq socket directory; upstream's default
 * is `/tmp`.
 *
 * @example
 * ```ts
 * import { DEBIAN_SOCKET_DIR } from "./io.ts";
 * `${DEBIAN_SOCKET_DIR}/.s.PGSQL.5432`; // the default server's socket file
 * ```
 */
export const DEBIAN_SOCKET_DIR = "/var/run/postgresql";

/**
 * Debian's libpq configuration directory (`pg_config --sysconfdir`), where
 * the system-wide `pg_service.conf` lives.
 *
 * @example
 * ```ts
 * import { DEBIAN_SYSCONFDIR } from "./io.ts";
 * `${DEBIAN_SYSCONFDIR}/pg_service.conf`; // "/etc/postgresql-common/pg_service.conf"
 * ```
 */
export const DEBIAN_SYSCONFDIR = "/etc/postgresql-common";

/**
 * {@link FileAccess} on the real file system (`node:fs`).
 *
 * @example
 * ```ts
 * import { systemFiles } from "./io.ts";
 * const info = await systemFiles.stat("/etc/hostname");
 * console.log(info?.kind); // "file"
 * ```
 */
export const systemFiles: FileAccess = {
  async stat(path) {
    try {
      const s = await stat(path);
      return {
        kind: s.isFile() ? "file" : s.isDirectory() ? "directory" : "other",
        mode: s.mode & 0o777,
      };
    } catch {
      return undefined;
    }
  },
  async readText(path) {
    try {
      return await readFile(path, "utf8");
    } catch {
      return undefined;
    }
  },
};

function readEnv(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined; // no permission to read it: as if unset
  }
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * The real environment: the process's `PG*` variables (each read on its own,
 * so Deno's `--allow-env=PGHOST,…` is enough; an unreadable variable counts
 * as unset), the OS user and home directory, and Debian's libpq defaults
 * (`/var/run/postgresql` as the default host when it exists,
 * `/etc/postgresql-common` for `pg_service.conf`). Warnings go to `warn`
 * (default: printed to stderr).
 *
 * @example
 * ```ts
 * import { systemLibpqEnvironment } from "./io.ts";
 * const environment = await systemLibpqEnvironment();
 * console.log(environment.userName, environment.socketDir ?? "localhost");
 * ```
 */
export async function systemLibpqEnvironment(
  warn: WarningHandler = printWarning,
): Promise<LibpqEnvironment> {
  const env: Record<string, string | undefined> = {};
  for (const name of LIBPQ_ENV_VARS) {
    const value = readEnv(name);
    if (value !== undefined) env[name] = value;
  }
  const user = attempt(() => os.userInfo());
  const socketInfo = await systemFiles.stat(DEBIAN_SOCKET_DIR);
  return {
    env,
    userName: user?.username,
    homeDir: user?.homedir ?? attempt(() => os.homedir()),
    socketDir: socketInfo?.kind === "directory" ? DEBIAN_SOCKET_DIR : undefined,
    compiledSocketDir: DEBIAN_SOCKET_DIR,
    sysconfDir: DEBIAN_SYSCONFDIR,
    windows: process.platform === "win32",
    files: systemFiles,
    warn,
  };
}
