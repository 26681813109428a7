/**
 * What integration tests use: the throwaway server started by the test runner
 * (`deno task test`), and a fresh database per test file.
 *
 * @module
 */
import postgres from "postgres";
import { join } from "node:path";
import type { ServerInfo } from "./server.ts";

/** The server started by `tests/support/run.ts`, read from the environment. */
export function testServer(): ServerInfo {
  const port = Deno.env.get("PGMONKEY_TEST_PORT");
  if (!port) {
    throw new Error(
      "integration tests need the throwaway server: run them with `deno task test` " +
        "(tests/support/run.ts starts PostgreSQL and sets PGMONKEY_TEST_*)",
    );
  }
  return {
    host: Deno.env.get("PGMONKEY_TEST_HOST")!,
    port: Number(port),
    user: Deno.env.get("PGMONKEY_TEST_USER")!,
    password: Deno.env.get("PGMONKEY_TEST_PASSWORD")!,
    certDir: Deno.env.get("PGMONKEY_TEST_CERTDIR")!,
  };
}

/** Paths of the test certificates made by the runner. */
export function testCertPaths(): Record<"ca" | "clientCert" | "clientKey" | "otherCa", string> {
  const dir = testServer().certDir;
  return {
    ca: join(dir, "ca.crt"),
    clientCert: join(dir, "client.crt"),
    clientKey: join(dir, "client.key"),
    otherCa: join(dir, "other-ca.crt"),
  };
}

/** A fresh database on the test server, with `connection_settings` for it. */
export interface TestDatabase {
  dbname: string;
  /** `connection_settings` for the superuser, TLS disabled. */
  settings: Record<string, unknown>;
  /** Runs SQL as superuser in this database (a short-lived admin connection). */
  admin: postgres.Sql;
  /** Closes the admin connection (the database lives until the server stops). */
  close(): Promise<void>;
}

/**
 * Raw postgres.js (not through pgmonkey) on the test server's `dbname`,
 * NOTICEs dropped; `options` add to or replace these.
 */
export function rawSql(
  dbname: string,
  options: postgres.Options<Record<string, postgres.PostgresType>> = {},
): postgres.Sql {
  const s = testServer();
  return postgres({
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: dbname,
    onnotice: () => {},
    ...options,
  });
}

/** Opens an admin connection to `dbname` (default `postgres`). */
export function adminSql(dbname = "postgres"): postgres.Sql {
  return rawSql(dbname, { max: 2, idle_timeout: 1 });
}

/** Creates a new database named after `label` and returns it. */
export async function freshDatabase(label: string): Promise<TestDatabase> {
  const s = testServer();
  const dbname = `t_${label.replace(/[^a-z0-9]+/gi, "_").toLowerCase()}_${
    crypto.randomUUID().slice(0, 8)
  }`;
  const root = adminSql();
  try {
    await root.unsafe(`CREATE DATABASE "${dbname}"`);
  } finally {
    await root.end();
  }
  const admin = adminSql(dbname);
  return {
    dbname,
    settings: {
      host: s.host,
      port: s.port,
      user: s.user,
      password: s.password,
      dbname,
      sslmode: "disable",
    },
    admin,
    close: () => admin.end({ timeout: 1 }),
  };
}
