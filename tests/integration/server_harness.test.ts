/**
 * The real-server harness works: a streaming standby sees the primary's
 * rows and can be promoted after the primary is killed; a read-only server
 * refuses writes; PgBouncer answers in transaction pooling mode. Uses plain
 * `npm:postgres`, not pgmonkey, so a failure here is the harness's.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import postgres from "postgres";
import { startDebianServer, startPrimaryWithStandby } from "../support/debian_postgres.ts";
import { startPgBouncer } from "../support/pgbouncer.ts";
import { testServer } from "../support/db.ts";

function connect(
  node: { host: string; port: number },
  user: string,
  password: string,
  database = "postgres",
): postgres.Sql {
  return postgres({
    host: node.host,
    port: node.port,
    user,
    password,
    database,
    max: 1,
    prepare: false,
    fetch_types: false, // PgBouncer's admin console speaks the simple protocol only
    onnotice: () => {},
    connect_timeout: 5,
  });
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(2)} s`;
}

Deno.test("harness: a primary streams to its standby; promote; kill the primary", async () => {
  const t0 = performance.now();
  const pair = await startPrimaryWithStandby();
  console.log(`primary + streaming standby started in ${seconds(t0)}`);
  const primary = connect(pair.primary, pair.user, pair.password);
  const standby = connect(pair.standby, pair.user, pair.password);
  try {
    const [{ version }] =
      await primary`SELECT current_setting('server_version_num')::int AS version`;
    ok(version >= 150000, `server ${version}`);
    await primary`CREATE TABLE streamed (id int PRIMARY KEY, note text)`;
    await primary`INSERT INTO streamed VALUES (1, 'from the primary')`;
    await pair.waitForReplay();
    deepStrictEqual([...await standby`SELECT id, note FROM streamed`], [
      { id: 1, note: "from the primary" },
    ]);
    const [{ recovery }] = await standby`SELECT pg_is_in_recovery() AS recovery`;
    strictEqual(recovery, true);
    const [{ hot }] = await standby`SELECT current_setting('in_hot_standby') AS hot`;
    strictEqual(hot, "on");
    await rejects(standby`INSERT INTO streamed VALUES (2, 'no')`, /read-only transaction/);

    const t1 = performance.now();
    await pair.stopPrimary();
    await rejects(primary`SELECT 1`);
    await pair.promote();
    console.log(`primary killed and standby promoted in ${seconds(t1)}`);
    await standby`INSERT INTO streamed VALUES (2, 'after promotion')`;
    const [{ n }] = await standby`SELECT count(*)::int AS n FROM streamed`;
    strictEqual(n, 2);
    const [{ stillRecovering }] = await standby`SELECT pg_is_in_recovery() AS "stillRecovering"`;
    strictEqual(stillRecovering, false);
  } finally {
    await primary.end({ timeout: 1 }).catch(() => {});
    await standby.end({ timeout: 1 }).catch(() => {});
    await pair.stop();
  }
});

Deno.test("harness: a server with default_transaction_read_only=on refuses writes but is no standby", async () => {
  const t0 = performance.now();
  const server = await startDebianServer({ settings: { default_transaction_read_only: "on" } });
  console.log(`read-only server started in ${seconds(t0)}`);
  const sql = connect(server, server.user, server.password);
  try {
    const [{ ro }] = await sql`SELECT current_setting('default_transaction_read_only') AS ro`;
    strictEqual(ro, "on");
    const [{ recovery }] = await sql`SELECT pg_is_in_recovery() AS recovery`;
    strictEqual(recovery, false);
    await rejects(sql`CREATE TABLE nope (id int)`, /read-only transaction/);
  } finally {
    await sql.end({ timeout: 1 });
    await server.stop();
  }
});

Deno.test("harness: PgBouncer answers in transaction pooling mode", async () => {
  const t0 = performance.now();
  const bouncer = await startPgBouncer({ server: testServer() });
  console.log(`pgbouncer started in ${seconds(t0)}`);
  const sql = connect(bouncer, bouncer.user, bouncer.password);
  const adminConsole = connect(bouncer, bouncer.user, bouncer.password, "pgbouncer");
  try {
    const [{ answer }] = await sql`SELECT ${41}::int + 1 AS answer`;
    strictEqual(answer, 42);
    const config = await adminConsole.unsafe("SHOW CONFIG").simple();
    const mode = config.find((row) => row.key === "pool_mode");
    strictEqual(mode?.value, "transaction");
    // Transaction pooling: a transaction's server connection is handed back at COMMIT.
    await sql.begin(async (tx) => {
      await tx`SELECT 1`;
      const pools = await adminConsole.unsafe("SHOW POOLS").simple();
      const pool = pools.find((row) => row.database === "postgres");
      strictEqual(Number(pool?.sv_active), 1);
    });
    const pools = await adminConsole.unsafe("SHOW POOLS").simple();
    strictEqual(Number(pools.find((row) => row.database === "postgres")?.sv_active), 0);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await bouncer.log()}`);
  } finally {
    await sql.end({ timeout: 1 });
    await adminConsole.end({ timeout: 1 });
    await bouncer.stop();
  }
});
