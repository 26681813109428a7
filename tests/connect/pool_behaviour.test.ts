// The pool layer as users use it: the whole postgres.js Sql API through db.sql on a pool,
// connection state (timers never close a borrowed connection, untrusted connections are never
// reused), shutdown that ends when the work ends, options passed through to postgres.js, and
// handles that print without secrets.
import assert from "node:assert/strict";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { join } from "node:path";
import postgres from "postgres";
import { ConfigError, PGConnectionManager, PoolTimeoutError } from "../../mod.ts";
import { freshDatabase, testServer } from "../support/db.ts";

const db0 = await freshDatabase("pool_behaviour");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FIXTURES = join(import.meta.dirname!, "..", "fixtures", "lifecycle");

function config(pool: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) {
  return {
    connection_settings: { ...db0.settings, application_name: "pgm-pool-test", ...settings },
    pool_settings: { min_size: 1, max_size: 3, timeout: 5, ...pool },
    async_pool_settings: { min_size: 1, max_size: 3, timeout: 5, ...pool },
  };
}

async function backends(app: string): Promise<number[]> {
  const rows = await db0.admin`
    SELECT pid FROM pg_stat_activity
    WHERE datname = ${db0.dbname} AND application_name = ${app} ORDER BY pid`;
  return rows.map((r) => r.pid as number);
}

/** Waits until `check()` is true (polling), or fails after `ms`. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 10_000) {
  const until = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > until) assert.fail(`timed out waiting for: ${what}`);
    await sleep(25);
  }
}

Deno.test("db.sql on a pool: the postgres.js API works across connections", async () => {
  const m = new PGConnectionManager();
  try {
    const db = await m.getDatabaseConnectionFromConfig(
      config({ min_size: 2, max_size: 4 }),
      "pool",
    );
    const sql = db.sql;
    await sql`CREATE TABLE api_t (id int PRIMARY KEY, tags text[], doc jsonb)`;
    // helpers, fragments, arrays (types fetched by the layer), json
    await sql`INSERT INTO api_t ${sql([{ id: 1, tags: ["a", "b"], doc: sql.json({ x: 1 }) }])}`;
    const where = sql`WHERE id = ${1}`;
    const [row] = await sql`SELECT ${sql("tags")}, doc FROM api_t ${where}`;
    assert.deepEqual(row.tags, ["a", "b"]);
    assert.deepEqual(row.doc, { x: 1 });
    const [{ a }] = await sql`SELECT ${sql.array([1, 2, 3])}::int[] AS a`;
    assert.deepEqual(a, [1, 2, 3]);
    // unsafe, simple, values, raw, describe, forEach
    assert.deepEqual([...await sql.unsafe("SELECT $1::int AS n", [7]).values()], [[7]]);
    const d = await sql`SELECT ${1}::int AS one`.describe();
    assert.deepEqual(d.columns.map((c) => c.name), ["one"]);
    let seen = 0;
    await sql`SELECT generate_series(1, 5) AS n`.forEach(() => seen++);
    assert.equal(seen, 5);
    // cursor
    let batches = 0;
    for await (const rows of sql`SELECT generate_series(1, 10) AS n`.cursor(3)) {
      batches++;
      assert.ok(rows.length <= 3);
    }
    assert.equal(batches, 4);
    // COPY streams through db.sql get a connection of their own
    await pipeline(Readable.from(["2\n3\n"]), await sql`COPY api_t (id) FROM STDIN`.writable());
    let copied = "";
    for await (
      const chunk of await sql`COPY (SELECT id FROM api_t ORDER BY id) TO STDOUT`.readable()
    ) {
      copied += chunk;
    }
    assert.equal(copied, "1\n2\n3\n");
    // file
    const file = await Deno.makeTempFile({ suffix: ".sql" });
    await Deno.writeTextFile(file, "SELECT count(*)::int AS n FROM api_t");
    const [{ n }] = await sql.file(file);
    assert.equal(n, 3);
    // begin with savepoint, reserve
    const result = await sql.begin(async (tx) => {
      await tx`INSERT INTO api_t (id) VALUES (10)`;
      await tx.savepoint(async (sp) => {
        await sp`INSERT INTO api_t (id) VALUES (11)`;
        throw new Error("undo 11");
      }).catch(() => {});
      return "done";
    });
    assert.equal(result, "done");
    assert.deepEqual((await sql`SELECT id FROM api_t WHERE id >= 10`).map((r) => r.id), [10]);
    const reserved = await sql.reserve();
    const [p1] = await reserved`SELECT pg_backend_pid() AS pid`;
    const [p2] = await reserved`SELECT pg_backend_pid() AS pid`;
    assert.equal(p1.pid, p2.pid);
    reserved.release();
    assert.throws(() => reserved`SELECT 1`, /already released/);
    // listen / notify
    const got: string[] = [];
    const { unlisten } = await sql.listen("pgm_chan", (x) => got.push(x));
    await sql.notify("pgm_chan", "hello");
    await eventually("the notification", () => got.length === 1);
    assert.deepEqual(got, ["hello"]);
    await unlisten();
    // large objects
    const lo = await sql.largeObject();
    await lo.write(new TextEncoder().encode("large"));
    await lo.seek(0);
    const [{ data }] = await (lo.read(5) as unknown as Promise<{ data: Uint8Array }[]>);
    assert.equal(new TextDecoder().decode(data), "large");
    await lo.close();
    // parameters and options, without the password
    assert.ok(sql.parameters.server_version);
    assert.ok(!JSON.stringify(sql.options).includes(testServer().password));
    // a query cancelled while running
    const slow = sql`SELECT pg_sleep(5)`;
    const slowResult = slow.then(() => undefined, (e) => e);
    await sleep(200);
    await slow.cancel();
    assert.equal((await slowResult)?.code, "57014");
    assert.equal(db.stats().inUse, 0);
  } finally {
    await m.clearCache();
  }
});

Deno.test("BEGIN through db.sql on a pool is refused; on a dedicated handle it works as in postgres.js", async () => {
  const m = new PGConnectionManager();
  try {
    const pool = await m.getDatabaseConnectionFromConfig(config(), "pool");
    await assert.rejects(pool.sql`BEGIN`, { code: "UNSAFE_TRANSACTION" });
    const normal = await m.getDatabaseConnectionFromConfig(config(), "normal");
    await normal.sql`BEGIN`;
    await normal.sql`CREATE TABLE begin_t (n int)`;
    await normal.sql`ROLLBACK`;
    const [{ exists }] = await normal.sql`SELECT to_regclass('begin_t') IS NOT NULL AS exists`;
    assert.equal(exists, false);
  } finally {
    await m.clearCache();
  }
});

for (const timer of ["max_idle", "max_lifetime"]) {
  Deno.test(`a transaction idle past ${timer} is never closed under it`, async () => {
    const m = new PGConnectionManager();
    try {
      const app = `pgm-timer-${timer}`;
      const pool = {
        min_size: 1,
        max_size: 2,
        max_idle: 1,
        max_lifetime: timer === "max_lifetime" ? 1 : 600,
      };
      const db = await m.getDatabaseConnectionFromConfig(
        config(pool, { application_name: app }),
        "pool",
      );
      await db.sql`CREATE TABLE IF NOT EXISTS timer_t (n int)`;
      // two transactions at once: the second runs on a connection above min_size
      const work = (n: number) =>
        db.transaction(async (tx) => {
          await tx`INSERT INTO timer_t VALUES (${n})`;
          await sleep(2500);
          await tx`INSERT INTO timer_t VALUES (${n + 1})`;
          return n;
        });
      assert.deepEqual(await Promise.all([work(1), work(10)]), [1, 10]);
      const rows = await db.sql`SELECT n FROM timer_t ORDER BY n`;
      assert.deepEqual(rows.map((r) => r.n), [1, 2, 10, 11]);
      await db.sql`DELETE FROM timer_t`;
      // and afterwards, idle connections above min_size go away by themselves
      await eventually("idle connections above min_size closed", () => {
        return db.stats().size <= (timer === "max_lifetime" ? 2 : 1);
      });
    } finally {
      await m.clearCache();
    }
  });
}

Deno.test("an abandoned COPY on a borrowed connection is discarded, never handed out again", async () => {
  const m = new PGConnectionManager();
  try {
    const db = await m.getDatabaseConnectionFromConfig(
      config({ min_size: 1, max_size: 1, timeout: 3 }),
      "pool",
    );
    for (let i = 0; i < 5; i++) {
      {
        await using c = await db.acquire();
        const stream = await c.sql`COPY (SELECT generate_series(1, 100000)) TO STDOUT`.readable();
        for await (const _ of stream) break; // read a little, walk away
      }
      const [{ v }] = await db.transaction((tx) => tx`SELECT ${i}::int AS v`);
      assert.equal(v, i);
    }
    assert.ok(db.stats().replaced >= 5);
  } finally {
    await m.clearCache();
  }
});

Deno.test("stats() counts a borrowed connection once", async () => {
  const m = new PGConnectionManager();
  try {
    const db = await m.getDatabaseConnectionFromConfig(
      config({ min_size: 2, max_size: 2 }),
      "pool",
    );
    const held = await db.acquire();
    const s = db.stats();
    assert.deepEqual([s.size, s.idle, s.inUse], [2, 1, 1]);
    held.release();
    assert.deepEqual([db.stats().idle, db.stats().inUse], [2, 0]);
  } finally {
    await m.clearCache();
  }
});

Deno.test("close() returns as soon as the transactions in flight are done", async () => {
  const m = new PGConnectionManager();
  const db = await m.getDatabaseConnectionFromConfig(config({ min_size: 2, max_size: 2 }), "pool");
  const work = [1, 2].map((n) =>
    db.transaction(async (tx) => {
      await tx`SELECT pg_sleep(0.2)`;
      return n;
    })
  );
  await sleep(50);
  const t0 = performance.now();
  await m.clearCache(15);
  const took = (performance.now() - t0) / 1000;
  assert.deepEqual(await Promise.all(work), [1, 2], "in-flight work finished");
  assert.ok(took < 5, `close took ${took.toFixed(2)} s (the timeout was 15 s)`);
  await assert.rejects(db.transaction(() => 1), /was closed/);
  await assert.rejects(db.sql`SELECT 1`, { code: "CONNECTION_ENDED" });
});

Deno.test("a caller waiting for a connection gets PoolTimeoutError; max_waiting rejects at once and counts", async () => {
  const m = new PGConnectionManager();
  try {
    const db = await m.getDatabaseConnectionFromConfig(
      config({ min_size: 1, max_size: 1, timeout: 1, max_waiting: 1 }),
      "pool",
    );
    const held = await db.acquire();
    const waiting = db.acquire().then(() => undefined, (e) => e);
    await assert.rejects(db.acquire(), (e: Error) => {
      assert.ok(e instanceof PoolTimeoutError);
      assert.match(e.message, /1 callers are already waiting \(max_waiting 1\)/);
      assert.doesNotMatch(e.message, /after 0 sec/);
      return true;
    });
    assert.ok((await waiting) instanceof PoolTimeoutError);
    // db.sql statements wait for a connection too, within the same timeout
    await assert.rejects(db.sql`SELECT 1`, PoolTimeoutError);
    assert.equal(db.stats().timeouts, 3);
    held.release();
    assert.deepEqual([...await db.sql`SELECT 1 AS one`], [{ one: 1 }]);
  } finally {
    await m.clearCache();
  }
});

Deno.test("postgres.js options pass through on all four types; the layer's own are refused", async () => {
  const m = new PGConnectionManager();
  try {
    for (const type of ["normal", "pool", "async", "async_pool"]) {
      const db = await m.getDatabaseConnectionFromConfig(config(), type, {
        postgres: { transform: postgres.camel },
      });
      const [row] = await db.sql`SELECT 1 AS some_column`;
      assert.deepEqual(Object.keys(row), ["someColumn"], type);
      const [tx] = await db.transaction((t) => t`SELECT 2 AS other_column`);
      assert.deepEqual(Object.keys(tx), ["otherColumn"], type);
    }
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(config(), "pool", {
        postgres: { max: 50 } as unknown as Record<string, never>,
      }),
      (e: Error) => e instanceof ConfigError && /"max" is managed by pgmonkey/.test(e.message),
    );
  } finally {
    await m.clearCache();
  }
});

Deno.test("server WARNINGs reach the warning handler; NOTICEs are dropped; onnotice overrides", async () => {
  const warnings: string[] = [];
  const m = new PGConnectionManager({ onWarning: (w) => warnings.push(w) });
  try {
    const db = await m.getDatabaseConnectionFromConfig(config(), "pool");
    await db.sql`DO $$ BEGIN RAISE NOTICE 'just a notice'; RAISE WARNING 'watch out'; END $$`;
    assert.deepEqual(warnings, ["server WARNING: watch out"]);
    const notices: string[] = [];
    const db2 = await m.getDatabaseConnectionFromConfig(config(), "normal", {
      postgres: { onnotice: (n: postgres.Notice) => notices.push(String(n.message)) },
    });
    await db2.sql`DO $$ BEGIN RAISE NOTICE 'n1'; END $$`;
    assert.deepEqual(notices, ["n1"]);
  } finally {
    await m.clearCache();
  }
});

Deno.test("handles, db.sql and borrowed connections print without the password", async () => {
  const m = new PGConnectionManager();
  try {
    const secret = testServer().password;
    for (const type of ["normal", "pool", "async", "async_pool"]) {
      const db = await m.getDatabaseConnectionFromConfig(config(), type);
      await using c = await db.acquire();
      for (const x of [db, db.sql, c.sql, c]) {
        assert.ok(!Deno.inspect(x, { depth: 10, showHidden: true }).includes(secret), type);
      }
      assert.match(Deno.inspect(db), /PGConnection \{ .*@127\.0\.0\.1/);
    }
  } finally {
    await m.clearCache();
  }
});

Deno.test("a backend killed while idle is replaced: the pool returns to min_size by itself", async () => {
  const m = new PGConnectionManager();
  try {
    const app = "pgm-refill";
    const db = await m.getDatabaseConnectionFromConfig(
      config({ min_size: 3, max_size: 3 }, { application_name: app }),
      "pool",
    );
    const before = await backends(app);
    assert.equal(before.length, 3);
    await db0.admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = ${db0.dbname} AND application_name = ${app}`;
    await eventually("three new backends", async () => {
      const now = await backends(app);
      return now.length === 3 && now.every((p) => !before.includes(p));
    });
    assert.deepEqual([...await db.sql`SELECT 1 AS one`], [{ one: 1 }]);
    assert.equal(db.stats().size, 3);
  } finally {
    await m.clearCache();
  }
});

Deno.test("a connect_timeout error names host:port, and one timer bounds the attempt", async () => {
  // A listener that accepts TCP connections and never answers.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted: Deno.Conn[] = [];
  (async () => {
    for await (const c of listener) accepted.push(c);
  })().catch(() => {});
  const m = new PGConnectionManager();
  try {
    const t0 = performance.now();
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(config({}, { port, connect_timeout: 2 }), "normal"),
      (e: Error) => {
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}.*timed out after 2 s`));
        assert.doesNotMatch(e.message, /undefined/);
        return true;
      },
    );
    const took = (performance.now() - t0) / 1000;
    assert.ok(took < 3.5, `took ${took.toFixed(2)} s for connect_timeout 2`);
  } finally {
    listener.close();
    for (const c of accepted) c.close();
    await m.clearCache();
  }
});

/** Runs a fixture script; returns its exit code and output. */
async function runFixture(file: string, args: string[], extraEnv: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(FIXTURES, file), ...args],
    env: { PGM_FIXTURE_CONFIG: JSON.stringify(config()), ...extraEnv },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("`await db.sql.end()` as a script's last line settles, on all four types", async () => {
  for (const type of ["normal", "pool", "async", "async_pool"]) {
    const r = await runFixture("sql_end.ts", [type]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${type} ended`);
  }
});

Deno.test("a LISTENing script keeps running; after unlisten it exits by itself", async () => {
  const r = await runFixture("listen.ts", []);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "got ping; still alive after 1 s; unlistened");
});

Deno.test("statement_timeout shorter than the layer's own queries never crashes the process", async () => {
  for (const type of ["normal", "pool", "async", "async_pool"]) {
    const cfg = {
      ...config(),
      sync_settings: { statement_timeout: "1" },
      async_settings: { statement_timeout: "1" },
    };
    const r = await runFixture("short_statement_timeout.ts", [type], {
      PGM_FIXTURE_CONFIG: JSON.stringify(cfg),
    });
    assert.equal(r.code, 0, `${type}: ${r.stderr}`);
    assert.match(r.stdout, /uncaught 0/);
  }
});

Deno.test("teardown: close the admin connection", () => db0.close());
