/**
 * A real PgBouncer (Debian's `pgbouncer` package) in front of a test server,
 * in transaction pooling mode by default, listening on a free port on
 * 127.0.0.1 only. Clients authenticate with SCRAM-SHA-256 against a
 * generated `userlist.txt`; PgBouncer logs in to the server with the same
 * user and password. It runs in the foreground as a child process (as the
 * `postgres` OS user when the tests run as root) and `stop()` ends it and
 * deletes its files.
 *
 * ```ts ignore
 * const bouncer = await startPgBouncer({ server: testServer() });
 * try {
 *   // connect to bouncer.host:bouncer.port as bouncer.user / bouncer.password
 * } finally {
 *   await bouncer.stop();
 * }
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { freePort } from "./server.ts";
import { asServerUser, serverDir, waitForPort } from "./unprivileged.ts";

/** The server PgBouncer forwards to. */
export interface BouncerUpstream {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Options for {@link startPgBouncer}. */
export interface PgBouncerOptions {
  server: BouncerUpstream;
  /** `transaction` (default), `session` or `statement`. */
  poolMode?: "transaction" | "session" | "statement";
  /** Server connections per user/database pair (default 5). */
  poolSize?: number;
  /** Extra `[pgbouncer]` settings. */
  settings?: Record<string, string>;
}

/** A running PgBouncer. */
export interface PgBouncer {
  host: "127.0.0.1";
  port: number;
  /** The user (and password) clients log in with: the upstream's. */
  user: string;
  password: string;
  /** The pooling mode it runs in. */
  poolMode: string;
  /** PgBouncer's log so far (for failure messages). */
  log(): Promise<string>;
  /** Ends PgBouncer (SIGTERM) and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}

function quoted(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** Starts PgBouncer in front of `options.server` (about 0.1 s). */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const { server } = options;
  const poolMode = options.poolMode ?? "transaction";
  const dir = await serverDir("pgbouncer");
  const port = freePort();
  const logFile = join(dir.path, "pgbouncer.log");
  await dir.write("userlist.txt", `${quoted(server.user)} ${quoted(server.password)}\n`);
  const settings: Record<string, string> = {
    listen_addr: "127.0.0.1",
    listen_port: String(port),
    unix_socket_dir: "",
    auth_type: "scram-sha-256",
    auth_file: join(dir.path, "userlist.txt"),
    pool_mode: poolMode,
    default_pool_size: String(options.poolSize ?? 5),
    max_client_conn: "200",
    admin_users: server.user,
    logfile: logFile,
    pidfile: join(dir.path, "pgbouncer.pid"),
    server_tls_sslmode: "disable",
    ...options.settings,
  };
  const ini = [
    "[databases]",
    `* = host=${server.host} port=${server.port}`,
    "",
    "[pgbouncer]",
    ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`),
    "",
  ].join("\n");
  const config = await dir.write("pgbouncer.ini", ini);
  const [cmd, args] = asServerUser("pgbouncer", [config]);
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
  const stderr = new Response(child.stderr).text();
  let stopped = false;
  const log = () => Deno.readTextFile(logFile).catch(() => "");
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await stderr;
    }
    await dir.remove();
  };
  let exit: Deno.CommandStatus | undefined;
  child.status.then((s) => exit = s);
  try {
    await waitForPort(
      port,
      10_000,
      "pgbouncer",
      () => exit && `exited with code ${exit.code}`,
    );
  } catch (e) {
    const details = await log();
    await stop();
    throw new Error(`${(e as Error).message}: ${await stderr}${details}`);
  }
  return {
    host: "127.0.0.1",
    port,
    user: server.user,
    password: server.password,
    poolMode,
    log,
    stop,
  };
}
