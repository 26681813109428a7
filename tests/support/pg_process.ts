/**
 * One PostgreSQL cluster on disk and its server process: `initdb`, start
 * (ready when `postmaster.pid` says so, independent of the log's language),
 * fast shutdown. Both programs run as the server's OS user.
 *
 * @module
 */
import { chown } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type OsUser, spawnAs } from "./os_user.ts";
import { diagnoseOutput, ServerStartError } from "./start_failure.ts";

/** Where a cluster lives and who runs it. */
export interface ClusterSpec {
  /** Directory with `bin/initdb` and `bin/postgres`. */
  binaries: string;
  /** The data directory (created by {@link initCluster}; its parent must exist). */
  dataDir: string;
  /** The OS user the programs run as (ourselves when undefined). */
  user?: OsUser;
}

/** A running server process. */
export interface PostgresProcess {
  pid: number;
  /** The last 64 KiB the server wrote to stdout/stderr. */
  log(): string;
  /** Fast shutdown (SIGINT), SIGKILL after 15 s. Safe to call twice. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_LIMIT = 64 * 1024;

/**
 * Creates the data directory and runs `initdb` with a superuser password
 * (SCRAM), UTF-8 and the builtin `C.UTF-8` locale (the same on every
 * machine, whatever locales the OS has), without fsync.
 */
export async function initCluster(
  spec: ClusterSpec,
  superuser: string,
  password: string,
): Promise<void> {
  await Deno.mkdir(spec.dataDir, { mode: 0o700 });
  await Deno.chmod(spec.dataDir, 0o700);
  const pwfile = join(dirname(spec.dataDir), "pwfile");
  await Deno.writeTextFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    await giveTo(spec.user, spec.dataDir, pwfile);
    const out = await new Deno.Command(join(spec.binaries, "bin", "initdb"), {
      args: [
        `--pgdata=${spec.dataDir}`,
        `--username=${superuser}`,
        `--pwfile=${pwfile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--locale-provider=builtin",
        "--builtin-locale=C.UTF-8",
        "--no-sync",
        "--no-instructions",
      ],
      ...spawnAs(spec.user),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
      const { what, fix } = diagnoseOutput("initdb", text);
      throw new ServerStartError(what, fix, text);
    }
  } finally {
    await Deno.remove(pwfile).catch(() => {});
  }
}

/** Writes a file into the data directory, owned by the server's user, mode 0600. */
export async function writeDataFile(
  spec: ClusterSpec,
  name: string,
  content: string | Uint8Array,
): Promise<void> {
  const path = join(spec.dataDir, name);
  if (typeof content === "string") await Deno.writeTextFile(path, content, { mode: 0o600 });
  else await Deno.writeFile(path, content, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  await giveTo(spec.user, path);
}

/** Starts the server with `-c name=value` settings and waits until it accepts connections. */
export async function startPostgres(
  spec: ClusterSpec,
  port: number,
  settings: Record<string, string>,
): Promise<PostgresProcess> {
  const child = new Deno.Command(join(spec.binaries, "bin", "postgres"), {
    args: [
      "-D",
      spec.dataDir,
      "-p",
      String(port),
      ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ],
    ...spawnAs(spec.user),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Drained for the whole life of the server: a full pipe would block it.
  let tail = "";
  const keep = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      tail = (tail + text).slice(-LOG_LIMIT);
    }
  };
  const drained = Promise.all([keep(child.stdout), keep(child.stderr)]).catch(() => {});
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  let stopping: Promise<void> | undefined;
  const proc: PostgresProcess = {
    pid: child.pid,
    log: () => tail,
    stop: () =>
      stopping ??= (async () => {
        if (!exited) signal(child, "SIGINT");
        const timer = setTimeout(() => signal(child, "SIGKILL"), STOP_TIMEOUT_MS);
        await status;
        clearTimeout(timer);
        await drained;
      })(),
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await isReady(spec.dataDir))) {
    if (exited) {
      await drained;
      const { what, fix } = diagnoseOutput("postgres", tail);
      throw new ServerStartError(what, fix, tail);
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new ServerStartError(
        `the server did not become ready within ${START_TIMEOUT_MS / 1000} s`,
        "run with PGMONKEY_DEBUG=1 to see its log",
        tail,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return proc;
}

/** Line 8 of `postmaster.pid` is the postmaster's status (`ready` once it accepts connections). */
async function isReady(dataDir: string): Promise<boolean> {
  try {
    const lines = (await Deno.readTextFile(join(dataDir, "postmaster.pid"))).split("\n");
    return lines[7]?.trim() === "ready";
  } catch {
    return false;
  }
}

function signal(child: Deno.ChildProcess, sig: Deno.Signal): void {
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

async function giveTo(user: OsUser | undefined, ...paths: string[]): Promise<void> {
  if (user) { for (const p of paths) await chown(p, user.uid, user.gid); }
}
