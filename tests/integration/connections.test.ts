import assert from "node:assert/strict";
import { ConnectionError, PGConnectionManager, PoolTimeoutError } from "../../mod.ts";
import { freshDatabase, testServer } from "../support/db.ts";

const db0 = await freshDatabase("connections");
const TYPES = ["normal", "pool", "async", "async_pool"] as const;

function config(extra: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) {
  return {
    connection_settings: { ...db0.settings, application_name: "pgm-conn-test", ...settings },
    sync_settings: { statement_timeout: "31000", lock_timeout: "11000" },
    async_settings: { statement_timeout: "17000", idle_in_transaction_session_timeout: "5000" },
    pool_settings: { min_size: 2, max_size: 4, timeout: 2 },
    async_pool_settings: { min_size: 1, max_size: 3, timeout: 2 },
    ...extra,
  };
}

async function backends(app: string): Promise<number> {
  const [{ n }] = await db0.admin`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = ${db0.dbname} AND application_name = ${app}`;
  return n;
}

Deno.test("all four types connect, report their type and apply their own session settings", async () => {
  const m = new PGConnectionManager();
  try {
    for (const type of TYPES) {
      const db = await m.getDatabaseConnectionFromConfig(config(), type);
      assert.equal(db.connectionType, type);
      const [{ statement_timeout }] = await db.sql`SHOW statement_timeout`;
      assert.equal(statement_timeout, type === "normal" || type === "pool" ? "31s" : "17s");
    }
    assert.equal(m.cacheInfo.size, 4);
    assert.deepEqual(m.cacheInfo.entries.map((e) => e.connectionType).sort(), [...TYPES].sort());
  } finally {
    await m.clearCache();
  }
});

Deno.test("type defaults to the config's connection_type, then normal; unknown types list the valid ones", async () => {
  const m = new PGConnectionManager();
  try {
    assert.equal((await m.getDatabaseConnectionFromConfig(config())).connectionType, "normal");
    const p = await m.getDatabaseConnectionFromConfig(config({ connection_type: "async_pool" }));
    assert.equal(p.connectionType, "async_pool");
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(config(), "bogus"),
      {
        message:
          "Unsupported connection type: 'bogus'. Valid types: normal, pool, async, async_pool",
      },
    );
  } finally {
    await m.clearCache();
  }
});

Deno.test("transaction commits on return, rolls back and rethrows on error, savepoints nest", async () => {
  await db0.admin`CREATE TABLE tx_t (id int PRIMARY KEY, note text)`;
  const m = new PGConnectionManager();
  try {
    for (const [i, type] of TYPES.entries()) {
      const db = await m.getDatabaseConnectionFromConfig(config(), type);
      const out = await db.transaction(async (tx) => {
        await tx`INSERT INTO tx_t VALUES (${i * 10}, ${type})`;
        await tx.savepoint(async (sp) => {
          await sp`INSERT INTO tx_t VALUES (${i * 10 + 1}, 'inner')`;
        }).catch(() => {});
        await tx.savepoint(async (sp) => {
          await sp`INSERT INTO tx_t VALUES (${i * 10 + 2}, 'inner rolled back')`;
          throw new Error("undo inner");
        }).catch(() => {});
        return "done";
      });
      assert.equal(out, "done");
      const boom = new Error("boom");
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx`INSERT INTO tx_t VALUES (${i * 10 + 5}, 'lost')`;
          throw boom;
        }),
        (e) => e === boom,
      );
      const rows = await db.sql`SELECT id FROM tx_t WHERE id BETWEEN ${i * 10} AND ${
        i * 10 + 9
      } ORDER BY id`;
      assert.deepEqual(rows.map((r) => r.id), [i * 10, i * 10 + 1]);
    }
  } finally {
    await m.clearCache();
  }
});

Deno.test("session settings survive a rollback on every type", async () => {
  const m = new PGConnectionManager();
  try {
    for (const type of TYPES) {
      const db = await m.getDatabaseConnectionFromConfig(config(), type);
      await db.transaction(async (tx) => {
        await tx`SET LOCAL statement_timeout = '1s'`;
        throw new Error("rollback");
      }).catch(() => {});
      const [{ lock_timeout }] = await db.sql`SHOW lock_timeout`;
      const [{ statement_timeout }] = await db.sql`SHOW statement_timeout`;
      const sync = type === "normal" || type === "pool";
      assert.equal(statement_timeout, sync ? "31s" : "17s", type);
      assert.equal(lock_timeout, sync ? "11s" : "0", type);
    }
  } finally {
    await m.clearCache();
  }
});

Deno.test("a bad session setting fails the connection with an error naming it", async () => {
  const m = new PGConnectionManager();
  try {
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(
        { ...config(), sync_settings: { statment_timeout: "5" } },
        "pool",
      ),
      (e: Error) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /statment_timeout/);
        assert.match(e.message, /sync_settings/);
        return true;
      },
    );
    await assert.rejects(
      m.getDatabaseConnectionFromConfig({
        ...config(),
        async_settings: { statement_timeout: "soon" },
      }, "async"),
      (e: Error) => /statement_timeout/.test(e.message) && /async_settings/.test(e.message),
    );
    assert.equal(m.cacheInfo.size, 0, "failed creations are not cached");
  } finally {
    await m.clearCache();
  }
});

Deno.test("autocommit: true runs transaction() without BEGIN on normal/async; 'false' means false", async () => {
  const m = new PGConnectionManager();
  try {
    for (const type of ["normal", "async"] as const) {
      const auto = await m.getDatabaseConnectionFromConfig(config({}, { autocommit: true }), type);
      await auto.transaction(async (tx) => {
        await tx`VACUUM tx_t`; // impossible inside a transaction block
      });
      const notAuto = await m.getDatabaseConnectionFromConfig(
        config({}, { autocommit: "false" }),
        type,
      );
      await assert.rejects(
        notAuto.transaction(async (tx) => {
          await tx`VACUUM tx_t`;
        }),
        /cannot run inside a transaction block/,
      );
    }
    // pool types ignore autocommit, as upstream
    const pool = await m.getDatabaseConnectionFromConfig(config({}, { autocommit: true }), "pool");
    await assert.rejects(
      pool.transaction(async (tx) => {
        await tx`VACUUM tx_t`;
      }),
      /cannot run inside a transaction block/,
    );
  } finally {
    await m.clearCache();
  }
});

Deno.test("acquire() lends one connection for await using and takes it back, also on error", async () => {
  const m = new PGConnectionManager();
  try {
    for (const type of TYPES) {
      const db = await m.getDatabaseConnectionFromConfig(config(), type);
      {
        await using conn = await db.acquire();
        await conn.sql`VACUUM tx_t`;
        const [a] = await conn.sql`SELECT pg_backend_pid() AS pid`;
        const [b] = await conn.sql`SELECT pg_backend_pid() AS pid`;
        assert.equal(a.pid, b.pid);
        assert.equal(db.stats().inUse, 1);
      }
      assert.equal(db.stats().inUse, 0);
      await assert.rejects(async () => {
        await using conn = await db.acquire();
        await conn.sql`SELECT 1/0`;
      }, /division by zero/);
      assert.equal(db.stats().inUse, 0);
      await db.sql`SELECT 1`; // still usable: the connection went back
    }
  } finally {
    await m.clearCache();
  }
});

Deno.test("pool opens min_size connections at creation and never more than max_size", async () => {
  const m = new PGConnectionManager();
  try {
    const app = "pgm-minmax";
    const cfg = config({ pool_settings: { min_size: 3, max_size: 5, timeout: 5 } }, {
      application_name: app,
    });
    const db = await m.getDatabaseConnectionFromConfig(cfg, "pool");
    assert.equal(await backends(app), 3);
    assert.equal(db.stats().size, 3);
    await Promise.all(Array.from({ length: 40 }, (_, i) =>
      db.transaction(async (tx) => {
        await tx`SELECT pg_sleep(0.02), ${i}::int`;
      })));
    assert.ok(await backends(app) <= 5);
    assert.ok(db.stats().opened <= 5);
    assert.equal(db.stats().checkouts >= 40, true);
  } finally {
    await m.clearCache();
  }
});

Deno.test("pool timeout: PoolTimeoutError after ~timeout, callback never runs, nothing leaks", async () => {
  const m = new PGConnectionManager();
  try {
    const cfg = config({ pool_settings: { min_size: 1, max_size: 1, timeout: 1 } });
    const db = await m.getDatabaseConnectionFromConfig(cfg, "pool");
    const held = await db.acquire();
    let ran = false;
    const t0 = performance.now();
    await assert.rejects(
      db.transaction(() => {
        ran = true;
      }),
      PoolTimeoutError,
    );
    const elapsed = (performance.now() - t0) / 1000;
    assert.ok(elapsed >= 0.9 && elapsed < 3, `timed out after ${elapsed}s`);
    const t1 = performance.now();
    await assert.rejects(db.acquire(), PoolTimeoutError);
    const elapsed2 = (performance.now() - t1) / 1000;
    assert.ok(elapsed2 >= 0.9 && elapsed2 < 3, `acquire timed out after ${elapsed2}s`);
    held.release();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ran, false, "the timed-out callback never runs");
    const [{ one }] = await db.transaction((tx) => tx`SELECT 1 AS one`);
    assert.equal(one, 1);
    assert.equal(db.stats().timeouts, 2);
    assert.equal(db.stats().inUse, 0);
    assert.equal(db.stats().waiting, 0);
  } finally {
    await m.clearCache();
  }
});

Deno.test("check_on_checkout replaces connections killed with pg_terminate_backend", async () => {
  const m = new PGConnectionManager();
  try {
    const app = "pgm-check";
    const cfg = config(
      { pool_settings: { min_size: 2, max_size: 2, timeout: 5, check_on_checkout: true } },
      { application_name: app },
    );
    const db = await m.getDatabaseConnectionFromConfig(cfg, "pool");
    const before = await db0.admin`
      SELECT pid FROM pg_stat_activity WHERE datname = ${db0.dbname} AND application_name = ${app}`;
    assert.equal(before.length, 2);
    await db0.admin`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = ${db0.dbname} AND application_name = ${app}`;
    // pg_terminate_backend returns before the backends are gone: wait until
    // they are (the pool opens replacements by itself meanwhile).
    const gone = async () => {
      const [{ n }] = await db0.admin`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY(${
        before.map((b) => b.pid)
      })`;
      return n === 0;
    };
    while (!(await gone())) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 4; i++) {
      await using conn = await db.acquire();
      const [{ pid }] = await conn.sql`SELECT pg_backend_pid() AS pid`;
      assert.ok(!before.some((b) => b.pid === pid));
    }
    const [{ v }] = await db.transaction((tx) => tx`SELECT 42 AS v`);
    assert.equal(v, 42);
  } finally {
    await m.clearCache();
  }
});

Deno.test("a backend killed inside a transaction or a borrow fails that work only; the pool recovers", async () => {
  const m = new PGConnectionManager();
  try {
    for (const type of ["pool", "async_pool", "normal"] as const) {
      const app = `pgm-midkill-${type}`;
      const settings = { min_size: 2, max_size: 2, timeout: 5 };
      const cfg = config({ pool_settings: settings, async_pool_settings: settings }, {
        application_name: app,
      });
      const db = await m.getDatabaseConnectionFromConfig(cfg, type);
      const kill = async () => {
        await new Promise((r) => setTimeout(r, 100));
        await db0.admin`
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = ${db0.dbname} AND application_name = ${app} AND state = 'active'`;
      };
      // inside a transaction: postgres.js's own begin() crashes the process here
      const inTx = db.transaction(async (tx) => {
        await tx`SELECT pg_sleep(1)`;
        await tx`SELECT 1`;
      }).then(() => undefined, (e: Error & { code?: string }) => e);
      await kill();
      const failure = await inTx;
      assert.equal(failure?.code, "57P01", type);
      assert.match(failure!.message, /terminating connection due to administrator command/);
      // inside a borrow, with the caller going on using and then releasing it
      const borrowed = (async () => {
        await using conn = await db.acquire();
        await conn.sql`SELECT pg_sleep(1)`.catch(() => {});
      })();
      await kill();
      await borrowed;
      for (let i = 0; i < 5; i++) {
        const [{ v }] = await db.transaction((tx) => tx`SELECT ${i}::int AS v`);
        assert.equal(v, i);
        const [{ w }] = await db.sql`SELECT ${i}::int AS w`;
        assert.equal(w, i);
      }
      assert.equal(db.stats().inUse, 0, type);
    }
  } finally {
    await m.clearCache();
  }
});

Deno.test("1,000 concurrent first calls create one handle and at most max_size backends", async () => {
  const m = new PGConnectionManager();
  try {
    const app = "pgm-storm";
    const cfg = config({ async_pool_settings: { min_size: 2, max_size: 6, timeout: 10 } }, {
      application_name: app,
    });
    const handles = await Promise.all(
      Array.from({ length: 1000 }, () => m.getDatabaseConnectionFromConfig(cfg, "async_pool")),
    );
    assert.equal(new Set(handles).size, 1);
    assert.equal(m.cacheInfo.size, 1);
    await Promise.all(
      handles.slice(0, 200).map((h, i) => h.transaction((tx) => tx`SELECT ${i}::int`)),
    );
    assert.ok(await backends(app) <= 6);
    assert.ok(handles[0].stats().opened <= 6);
  } finally {
    await m.clearCache();
  }
});

Deno.test("a file-based handle is cached by content: same text → same handle, edited file → new one", async () => {
  const m = new PGConnectionManager();
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cfg.yaml`;
  const write = (app: string) =>
    Deno.writeTextFile(path, JSON.stringify(config({}, { application_name: app })));
  try {
    await write("pgm-file-a");
    const a = await m.getDatabaseConnection(path, "pool");
    assert.equal(await m.getDatabaseConnection(path, "pool"), a);
    await write("pgm-file-b");
    const b = await m.getDatabaseConnection(path, "pool");
    assert.notEqual(b, a);
    const [{ application_name }] = await b.sql`SHOW application_name`;
    assert.equal(application_name, "pgm-file-b");
    await write("pgm-file-a");
    assert.equal(await m.getDatabaseConnection(path, "pool"), a);
    await Deno.remove(path);
    await assert.rejects(m.getDatabaseConnection(path, "pool"), /config file not found/);
  } finally {
    await m.clearCache();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("forceReload closes the old handle and returns a new one; clearCache closes all", async () => {
  const m = new PGConnectionManager();
  const a = await m.getDatabaseConnectionFromConfig(config(), "pool");
  const same = await m.getDatabaseConnectionFromConfig(config(), "pool");
  assert.equal(a, same);
  const b = await m.getDatabaseConnectionFromConfig(config(), "pool", { forceReload: true });
  assert.notEqual(a, b);
  assert.equal(a.closed, true);
  await assert.rejects(a.transaction(() => 1), /closed/);
  assert.equal(m.cacheInfo.size, 1);
  await m.clearCache();
  await m.clearCache(); // twice is fine
  assert.equal(b.closed, true);
  assert.equal(m.cacheInfo.size, 0);
});

Deno.test("connection errors name user, host and port and never the password", async () => {
  const m = new PGConnectionManager();
  const s = testServer();
  const secret = "Sup3r-Secret-Pw-" + crypto.randomUUID();
  try {
    for (const type of TYPES) {
      await assert.rejects(
        m.getDatabaseConnectionFromConfig(config({}, { password: secret }), type),
        (e: Error) => {
          assert.ok(e instanceof ConnectionError, String(e));
          assert.ok(!e.message.includes(secret));
          assert.ok(!JSON.stringify(e).includes(secret));
          assert.match(e.message, new RegExp(`postgres@${s.host}:${s.port}/${db0.dbname}`));
          assert.match(e.message, /password authentication failed/);
          assert.equal(e.message.includes("\n"), false);
          return true;
        },
      );
    }
    // nothing listens on port 1
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(config({}, { port: 1, password: secret }), "normal"),
      (e: Error) =>
        /127\.0\.0\.1:1/.test(e.message) && /refused/.test(e.message) &&
        !e.message.includes(secret),
    );
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(
        config({}, { sslmode: "verify-full", sslrootcert: "/nonexistent/ca.crt" }),
        "normal",
      ),
      /sslrootcert.*\/nonexistent\/ca\.crt/,
    );
    assert.equal(m.cacheInfo.size, 0);
  } finally {
    await m.clearCache();
  }
});

Deno.test({
  name: "teardown: close the admin connection",
  fn: () => db0.close(),
});
