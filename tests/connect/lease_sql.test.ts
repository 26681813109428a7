// The `sql` of a borrowed connection (`acquire()`): what differs from its connection's own
// postgres.js instance. Each overridden property is made when first asked for; these are the
// promises about each one.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { PGConnectionManager } from "../../mod.ts";
import { freshDatabase } from "../support/db.ts";

const db0 = await freshDatabase("lease_sql");

Deno.test({
  name: "a borrowed connection's sql: overridden properties, before and after release",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const m = new PGConnectionManager();
    try {
      const db = await m.getDatabaseConnectionFromConfig({
        connection_settings: db0.settings,
        pool_settings: { min_size: 1, max_size: 2, timeout: 10 },
      }, "pool");
      const file = await Deno.makeTempFile({ suffix: ".sql" });
      await Deno.writeTextFile(file, "SELECT 7 AS n");

      const conn = await db.acquire();
      const sql = conn.sql;
      assert.equal(sql.unsafe, sql.unsafe, "one function per lease");
      assert.equal((await sql.unsafe("SELECT 1 AS n"))[0].n, 1);
      assert.equal((await sql.file(file))[0].n, 7);
      assert.equal((await sql`SELECT ${2}::int AS n`)[0].n, 2);
      assert.throws(() => sql.begin(() => {}), /begin\(\) is not available on a borrowed/);
      assert.throws(() => sql.reserve(), /reserve\(\) is not available on a borrowed/);
      assert.equal((sql.options as { pass?: unknown }).pass, "***REDACTED***");
      assert.equal("socket" in sql.options, false);
      assert.match(Deno.inspect(sql), /^ReservedSql \{ \w+@\S+\/t_lease_sql_\w+, pid \d+ \}$/);
      assert.equal(inspect(sql), Deno.inspect(sql), "util.inspect says the same");
      assert.equal(typeof sql.listen, "function");
      assert.equal(sql.listen, db.sql.listen, "listen goes to the handle's listener connection");
      const before = db.stats().inUse;
      await sql.end();
      assert.equal(db.stats().inUse, before - 1, "end() gives the connection back");
      assert.throws(() => sql`SELECT 1`, /already released/);
      assert.throws(() => sql.unsafe("SELECT 1"), /already released/);
      assert.throws(() => sql.file(file), /already released/);
      conn.release(); // idempotent

      // close() releases too, and release() is the same function every time.
      const other = await db.acquire();
      assert.equal(other.sql.release, other.sql.release);
      await (other.sql as unknown as { close(): Promise<void> }).close();
      assert.equal(db.stats().inUse, 0);
      assert.throws(() => other.sql`SELECT 1`, /already released/);
      await Deno.remove(file);
    } finally {
      await m.clearCache();
    }
  },
});

Deno.test("teardown: close the admin connection", () => db0.close());
