// Rows of issue 10's acceptance table that neither tests/connect/pool_behaviour.test.ts nor the
// fault scenarios re-run: host lists through our transport, pgexport over TLS closing without
// a wait, and util.inspect without secrets. docs/RELIABILITY.md maps every row to its test.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { join } from "node:path";
import { PGConnectionManager } from "../../mod.ts";
import { runExport } from "../../src/transfer/mod.ts";
import { freePort } from "../support/server.ts";
import { freshDatabase, testServer } from "../support/db.ts";

const db0 = await freshDatabase("acceptance rows");
const TYPES = ["normal", "pool", "async", "async_pool"];

function config(settings: Record<string, unknown> = {}) {
  return {
    connection_settings: { ...db0.settings, connect_timeout: 5, ...settings },
    pool_settings: { min_size: 1, max_size: 2, timeout: 5 },
    async_pool_settings: { min_size: 1, max_size: 2, timeout: 5 },
  };
}

Deno.test("a host list is tried in order through our transport, on all four types", async () => {
  const dead = freePort(); // nothing listens there: connection refused
  const m = new PGConnectionManager();
  try {
    for (const type of TYPES) {
      const db = await m.getDatabaseConnectionFromConfig(
        config({ host: "127.0.0.1,127.0.0.1", port: `${dead},${db0.settings.port}` }),
        type,
      );
      const [{ port }] = await db.sql`SELECT inet_server_port() AS port`;
      assert.equal(port, db0.settings.port, type);
      const [{ one }] = await db.transaction((tx) => tx`SELECT 1 AS one`);
      assert.equal(one, 1, type);
    }
    const other = freePort();
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(
        config({ host: "127.0.0.1,127.0.0.1", port: `${dead},${other}` }),
        "pool",
      ),
      (e: Error) => {
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${dead}\\b`));
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${other}\\b`));
        assert.ok(!e.message.includes("\n"), e.message);
        return true;
      },
    );
  } finally {
    await m.clearCache();
  }
});

Deno.test("pgexport over TLS: closing after the export does not wait (6 runs)", async () => {
  await db0.admin`CREATE TABLE export_tls AS SELECT generate_series(1, 2000) AS id`;
  const dir = await Deno.makeTempDir({ prefix: "pgm-export-tls-" });
  try {
    const file = join(dir, "export_tls.csv");
    for (let run = 0; run < 6; run++) {
      const m = new PGConnectionManager();
      const result = await runExport({
        table: "export_tls",
        exportFile: file,
        connect: () => m.getDatabaseConnectionFromConfig(config({ sslmode: "require" }), "normal"),
        print: () => {},
      });
      assert.equal(result.kind, run === 0 ? "settings-created" : "exported");
      const t0 = performance.now();
      await m.clearCache();
      const closeMs = performance.now() - t0;
      assert.ok(closeMs < 2000, `run ${run}: closing took ${closeMs.toFixed(0)} ms`);
    }
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.equal(lines.length, 2001); // the header and 2,000 rows
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("util.inspect of handles, db.sql and borrowed connections shows no password", async () => {
  const secret = testServer().password;
  const m = new PGConnectionManager();
  try {
    for (const type of TYPES) {
      const db = await m.getDatabaseConnectionFromConfig(config(), type);
      await using c = await db.acquire();
      for (const x of [db, db.sql, c, c.sql, db.sql.options]) {
        const text = inspect(x, { depth: 10, showHidden: true, getters: true });
        assert.ok(!text.includes(secret), `${type}: ${text.slice(0, 200)}`);
      }
      assert.match(inspect(db), /PGConnection \{ .*@127\.0\.0\.1/);
    }
  } finally {
    await m.clearCache();
  }
});

Deno.test("teardown: close the admin connection", () => db0.close());
