/**
 * Real PostgreSQL clusters from Debian's `postgresql` package (version 15 on
 * bookworm) for tests that need more than the runner's single server: a
 * primary with a streaming-replication standby (`pg_basebackup -R`), which
 * can be promoted and whose primary can be killed, and plain servers with
 * extra settings (e.g. `default_transaction_read_only=on`, for
 * `target_session_attrs`). Each listens on a free port on 127.0.0.1 only
 * (and on a Unix socket in its scratch directory), uses SCRAM password
 * authentication, and is removed by `stop()`.
 *
 * ```ts ignore
 * const pair = await startPrimaryWithStandby();
 * try {
 *   // pair.primary.port, pair.standby.port, pair.user, pair.password
 *   await pair.promote();
 * } finally {
 *   await pair.stop();
 * }
 * ```
 *
 * @module
 */
import postgres from "postgres";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./server.ts";
import type { ScratchDir } from "./scratch.ts";
import { asServerUser, runAsServerUser, serverDir } from "./unprivileged.ts";

/** Where Debian installs the server programs; the newest version present is used. */
export function debianBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "pg_ctl")))
      .sort((a, b) => Number(a) - Number(b))
    : [];
  if (versions.length === 0) {
    throw new Error(
      "Debian's PostgreSQL server programs are missing (/usr/lib/postgresql/*/bin/pg_ctl): " +
        "apt-get install postgresql",
    );
  }
  return join(root, versions.at(-1)!, "bin");
}

/** One running cluster. */
export interface ClusterNode {
  host: "127.0.0.1";
  port: number;
  /** Directory of its Unix socket (`.s.PGSQL.<port>`). */
  socketDir: string;
  dataDir: string;
}

/** A running plain server. */
export interface DebianServer extends ClusterNode {
  user: string;
  password: string;
  /** Stops the server (immediately) and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** `pg_ctl` on a running cluster, usable from any process (e.g. a test's subprocess). */
export interface ServerControl {
  /** `pg_ctl restart -m <mode> -w`: resolves once the server accepts connections again. */
  restart(mode: "fast" | "immediate"): Promise<void>;
  /** `pg_ctl stop -m <mode> -w`: resolves once the server is gone. */
  halt(mode: "fast" | "immediate"): Promise<void>;
  /** `pg_ctl start -w`: resolves once the server accepts connections. */
  resume(): Promise<void>;
}

/** A primary and its streaming standby. */
export interface ReplicationPair {
  primary: ClusterNode;
  standby: ClusterNode;
  user: string;
  password: string;
  /** Promotes the standby to a primary (`pg_ctl promote`, waits until it accepts writes). */
  promote(): Promise<void>;
  /** Kills the primary (`pg_ctl stop -m immediate`), as a crash would. */
  stopPrimary(): Promise<void>;
  /** Waits until the standby has replayed everything the primary has written so far. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  /** Stops both servers and deletes their files. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startDebianServer}. */
export interface DebianServerOptions {
  /** Extra server settings, written to `postgresql.conf`. */
  settings?: Record<string, string>;
  /** Superuser password (random when omitted). */
  password?: string;
}

const SERVER_SETTINGS: Record<string, string> = {
  listen_addresses: "127.0.0.1",
  fsync: "off",
  synchronous_commit: "off",
  max_connections: "100",
  wal_level: "replica",
  max_wal_senders: "5",
  hot_standby: "on",
  shared_buffers: "16MB",
};

function confLines(settings: Record<string, string>): string {
  return Object.entries(settings).map(([k, v]) => `${k} = '${v.replaceAll("'", "''")}'\n`)
    .join("");
}

/** Data directories started here and not yet stopped: killed at process exit if a test forgot. */
const running = new Map<string, string>();
globalThis.addEventListener("unload", () => {
  for (const [dataDir, bin] of running) {
    const [cmd, args] = asServerUser(join(bin, "pg_ctl"), [
      "-D",
      dataDir,
      "-m",
      "immediate",
      "stop",
    ]);
    new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync();
  }
});

class Cluster {
  constructor(readonly bin: string, readonly dir: ScratchDir) {}

  node(name: string, port: number): ClusterNode {
    return {
      host: "127.0.0.1",
      port,
      socketDir: this.dir.path,
      dataDir: join(this.dir.path, name),
    };
  }

  async start(node: ClusterNode): Promise<void> {
    await runAsServerUser(join(this.bin, "pg_ctl"), [
      "-D",
      node.dataDir,
      "-l",
      `${node.dataDir}.log`,
      "-w",
      "-t",
      "60",
      "-o",
      `-p ${node.port} -k ${this.dir.path}`,
      "start",
    ]).catch(async (e) => {
      const log = await Deno.readTextFile(`${node.dataDir}.log`).catch(() => "");
      throw new Error(`${e.message}\n${log}`);
    });
    running.set(node.dataDir, this.bin);
  }

  async stop(node: ClusterNode, mode: "immediate" | "fast" = "immediate"): Promise<void> {
    if (!running.has(node.dataDir)) return;
    running.delete(node.dataDir);
    await runAsServerUser(join(this.bin, "pg_ctl"), ["-D", node.dataDir, "-m", mode, "-w", "stop"]);
  }

  async initdb(node: ClusterNode, password: string, settings: Record<string, string>) {
    const pwfile = await this.dir.write("pwfile", password);
    await runAsServerUser(join(this.bin, "initdb"), [
      "-D",
      node.dataDir,
      "-U",
      "postgres",
      "--pwfile",
      pwfile,
      "--auth=scram-sha-256",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    await Deno.remove(pwfile);
    const conf = join(node.dataDir, "postgresql.conf");
    await Deno.writeTextFile(conf, confLines({ ...SERVER_SETTINGS, ...settings }), {
      append: true,
    });
  }
}

/**
 * Restarts, stops and starts a cluster started by {@link startDebianServer}
 * (or a node of {@link startPrimaryWithStandby}) with Debian's `pg_ctl`, as
 * the server's OS user. Does not take ownership: whoever started the server
 * still stops and deletes it.
 *
 * @example
 * ```ts ignore
 * const server = await startDebianServer();
 * await debianServerControl(server).restart("fast");
 * await server.stop();
 * ```
 */
export function debianServerControl(node: ClusterNode): ServerControl {
  const pgCtl = join(debianBinDir(), "pg_ctl");
  const startArgs = [
    "-l",
    `${node.dataDir}.log`,
    "-t",
    "60",
    "-o",
    `-p ${node.port} -k ${node.socketDir}`,
  ];
  const run = (args: string[]) =>
    runAsServerUser(pgCtl, ["-D", node.dataDir, "-w", ...args]).then(() => {});
  return {
    restart: (mode) => run(["-m", mode, ...startArgs, "restart"]),
    halt: (mode) => run(["-m", mode, "stop"]),
    resume: () => run([...startArgs, "start"]),
  };
}

function admin(node: ClusterNode, password: string): postgres.Sql {
  return postgres({
    host: node.host,
    port: node.port,
    user: "postgres",
    password,
    database: "postgres",
    max: 1,
    onnotice: () => {},
    connect_timeout: 5,
  });
}

/** Polls `query` on `node` until `done(rows)` or the timeout. */
async function until(
  node: ClusterNode,
  password: string,
  query: string,
  done: (rows: postgres.Row[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const sql = admin(node, password);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const rows = await sql.unsafe(query).catch(() => [] as postgres.Row[]);
      if (done(rows)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Starts a plain server (initdb + start, about a second).
 *
 * @example
 * ```ts ignore
 * const ro = await startDebianServer({ settings: { default_transaction_read_only: "on" } });
 * await ro.stop();
 * ```
 */
export async function startDebianServer(options: DebianServerOptions = {}): Promise<DebianServer> {
  const bin = debianBinDir();
  const cluster = new Cluster(bin, await serverDir("pgdeb"));
  const password = options.password ?? `pw-${crypto.randomUUID()}`;
  const node = cluster.node("data", freePort());
  const stop = async () => {
    await cluster.stop(node).catch(() => {});
    await cluster.dir.remove();
  };
  try {
    await cluster.initdb(node, password, options.settings ?? {});
    await cluster.start(node);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ...node, user: "postgres", password, stop };
}

/**
 * Starts a primary and a standby streaming from it (initdb, start,
 * `pg_basebackup -R -X stream`, start; returns once the standby streams).
 */
export async function startPrimaryWithStandby(
  options: DebianServerOptions = {},
): Promise<ReplicationPair> {
  const bin = debianBinDir();
  const cluster = new Cluster(bin, await serverDir("pgrepl"));
  const password = options.password ?? `pw-${crypto.randomUUID()}`;
  const primary = cluster.node("primary", freePort());
  const standby = cluster.node("standby", freePort());
  const stop = async () => {
    await cluster.stop(standby).catch(() => {});
    await cluster.stop(primary).catch(() => {});
    await cluster.dir.remove();
  };
  try {
    await cluster.initdb(primary, password, options.settings ?? {});
    await cluster.start(primary);
    await runAsServerUser(join(bin, "pg_basebackup"), [
      "-h",
      primary.host,
      "-p",
      String(primary.port),
      "-U",
      "postgres",
      "-D",
      standby.dataDir,
      "-R",
      "-X",
      "stream",
      "-c",
      "fast",
      "--no-sync",
    ], { PGPASSWORD: password });
    await cluster.start(standby);
    await until(
      primary,
      password,
      "SELECT state FROM pg_stat_replication",
      (rows) => rows.some((r) => r.state === "streaming"),
      30_000,
      "the standby to stream from the primary",
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    primary,
    standby,
    user: "postgres",
    password,
    async promote() {
      await runAsServerUser(join(bin, "pg_ctl"), [
        "-D",
        standby.dataDir,
        "-w",
        "-t",
        "60",
        "promote",
      ]);
      await until(
        standby,
        password,
        "SELECT pg_is_in_recovery() AS r",
        (rows) => rows[0]?.r === false,
        30_000,
        "the promoted standby to leave recovery",
      );
    },
    stopPrimary: () => cluster.stop(primary, "immediate"),
    async waitForReplay(timeoutMs = 30_000) {
      const sql = admin(primary, password);
      let lsn: string;
      try {
        [{ lsn }] = await sql`SELECT pg_current_wal_lsn()::text AS lsn`;
      } finally {
        await sql.end({ timeout: 1 });
      }
      await until(
        standby,
        password,
        `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS done`,
        (rows) => rows[0]?.done === true,
        timeoutMs,
        `the standby to replay up to ${lsn}`,
      );
    },
    stop,
  };
}
