// Regression (not a timing test): postgres.js 3.4.9's internal queues keep every shifted slot while
// in use, so a raw `max: 4` instance under sustained concurrency grows its queue arrays with every
// operation (porsager/postgres#747: the cause of the throughput decay in docs/BENCHMARKS.md).
// Through our layer (one instance per connection, our pool dispatching) they stay bounded after
// 200,000 operations. The lengths are read from the closures through the V8 inspector.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { PGConnectionManager } from "../../mod.ts";
import { freshDatabase, rawSql } from "../support/db.ts";
import { handlerOf, QueueInspector } from "../support/postgresjs_queues.ts";

const db0 = await freshDatabase("bounded_queues");

async function hammer(sql: postgres.Sql, total: number, workers: number): Promise<void> {
  let done = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (done < total) {
      done++;
      await sql`SELECT ${done}::int AS n`;
    }
  }));
}

Deno.test({
  name: "postgres.js's internal queues stay bounded through our layer after 200,000 operations",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const inspector = new QueueInspector();
    // Control: raw postgres.js, the same kind of load, far fewer operations.
    const raw = rawSql(db0.dbname, { max: 4 });
    const m = new PGConnectionManager();
    try {
      await hammer(raw, 20_000, 16);
      const rawLengths = await inspector.queueLengths(handlerOf(raw));
      const rawMax = Math.max(...Object.values(rawLengths));
      assert.ok(
        rawMax > 2_000,
        `control: raw postgres.js max 4 should grow its queues, got ${JSON.stringify(rawLengths)}`,
      );

      const db = await m.getDatabaseConnectionFromConfig({
        connection_settings: db0.settings,
        async_pool_settings: { min_size: 4, max_size: 4, timeout: 30 },
      }, "async_pool");
      await hammer(db.sql, 200_000, 16);
      const leases = await Promise.all(Array.from({ length: 4 }, () => db.acquire()));
      try {
        for (const lease of leases) {
          const lengths = await inspector.queueLengths(
            handlerOf(lease.sql as unknown as postgres.Sql),
          );
          const max = Math.max(...Object.values(lengths));
          assert.ok(Object.keys(lengths).length >= 9, JSON.stringify(lengths));
          assert.ok(max <= 200, `a queue grew: ${JSON.stringify(lengths)} (raw: ${rawMax})`);
        }
      } finally {
        for (const lease of leases) lease.release();
      }
      assert.equal(db.stats().size, 4);
    } finally {
      inspector.close();
      await raw.end();
      await m.clearCache();
    }
  },
});

Deno.test("teardown: close the admin connection", () => db0.close());
