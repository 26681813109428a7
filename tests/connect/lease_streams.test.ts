// A borrowed connection notes the COPY streams its statements open, so that a stream left open
// when the lease ends fails quietly (the connection is discarded) instead of crashing the process
// with an unhandled 'error' event. The lease only watches statements whose text (or a fragment's)
// mentions COPY; these are the ways such a statement can be written.
import assert from "node:assert/strict";
import { PGConnectionManager } from "../../mod.ts";
import { freshDatabase } from "../support/db.ts";

const db0 = await freshDatabase("lease_streams");
const SELECT = "(SELECT generate_series(1, 200000))";

Deno.test({
  name: "a COPY stream left open on a released lease fails quietly, however the COPY is written",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const m = new PGConnectionManager();
    try {
      const db = await m.getDatabaseConnectionFromConfig({
        connection_settings: db0.settings,
        pool_settings: { min_size: 1, max_size: 1, timeout: 10 },
      }, "pool");
      type Sql = Awaited<ReturnType<typeof db.acquire>>["sql"];
      const ways: [string, (sql: Sql) => { readable(): Promise<unknown> }][] = [
        ["tagged template", (sql) => sql`COPY ${sql.unsafe(SELECT)} TO STDOUT`],
        ["lower case", (sql) => sql`copy ${sql.unsafe(SELECT)} to stdout`],
        ["unsafe", (sql) => sql.unsafe(`COPY ${SELECT} TO STDOUT`)],
        ["a fragment holding the COPY", (sql) => sql`${sql`COPY ${sql.unsafe(SELECT)} TO STDOUT`}`],
        ["a fragment made by unsafe", (sql) => sql`${sql.unsafe(`COPY ${SELECT} TO STDOUT`)}`],
      ];
      for (const [how, make] of ways) {
        const before = db.stats().replaced;
        {
          await using conn = await db.acquire();
          const stream = await make(conn.sql).readable();
          assert.equal(typeof (stream as { on?: unknown }).on, "function", how);
        } // released with the COPY still running: the connection is discarded
        const [{ n }] = await db.sql`SELECT 1 AS n`;
        assert.equal(n, 1, how);
        assert.equal(db.stats().replaced, before + 1, `${how}: the connection was not discarded`);
        // Give a late 'error' event the chance to surface as an uncaught error (it must not).
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await m.clearCache();
    }
  },
});

Deno.test("teardown: close the admin connection", () => db0.close());
