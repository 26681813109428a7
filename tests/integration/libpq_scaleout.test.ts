// libpq's conventions and scale-out, against real servers the harness starts: a config without a
// password connecting through ~/.pgpass (PGPASSFILE) and through PGPASSWORD; a host list whose
// first host is down; target_session_attrs on a primary + streaming standby; failover of pool and
// async_pool (stop the primary, promote the standby); the four types behind PgBouncer in
// transaction pooling mode with sync_settings.
import assert from "node:assert/strict";
import { join } from "node:path";
import { PGConnectionManager } from "../../mod.ts";
import { freshDatabase, testServer } from "../support/db.ts";
import { type ReplicationPair, startPrimaryWithStandby } from "../support/debian_postgres.ts";
import { startPgBouncer } from "../support/pgbouncer.ts";
import { freePort } from "../support/server.ts";

const db0 = await freshDatabase("libpq_scaleout");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TYPES = ["normal", "pool", "async", "async_pool"] as const;

/** Runs `fn` with environment variables set (and restores them). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

function noPassword(extra: Record<string, unknown> = {}) {
  const s = testServer();
  return {
    connection_settings: {
      host: s.host,
      port: s.port,
      user: s.user,
      dbname: db0.dbname,
      sslmode: "disable",
      ...extra,
    },
    pool_settings: { min_size: 1, max_size: 2, timeout: 5 },
    async_pool_settings: { min_size: 1, max_size: 2, timeout: 5 },
  };
}

Deno.test("a config without a password connects through .pgpass (PGPASSFILE) on all four types", async () => {
  const s = testServer();
  const dir = await Deno.makeTempDir();
  const passfile = join(dir, "pgpass");
  await Deno.writeTextFile(
    passfile,
    `# comment\nother:1:*:*:nope\n${s.host}:${s.port}:*:${s.user}:${
      s.password.replace(/:/g, "\\:")
    }\n`,
  );
  await Deno.chmod(passfile, 0o600);
  const warnings: string[] = [];
  const m = new PGConnectionManager({ onWarning: (w) => warnings.push(w) });
  try {
    await withEnv({ PGPASSFILE: passfile }, async () => {
      for (const type of TYPES) {
        const db = await m.getDatabaseConnectionFromConfig(noPassword(), type);
        assert.deepEqual([...await db.sql`SELECT 1 AS one`], [{ one: 1 }], type);
      }
    });
    assert.deepEqual(warnings, []);
    // a group-readable file is ignored with libpq's warning
    await Deno.chmod(passfile, 0o644);
    await m.clearCache();
    await withEnv({ PGPASSFILE: passfile }, async () => {
      await assert.rejects(
        m.getDatabaseConnectionFromConfig(noPassword(), "normal"),
        /password authentication failed|no password/,
      );
    });
    assert.ok(warnings.some((w) => /has group or world access/.test(w)), warnings.join("\n"));
  } finally {
    await m.clearCache();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a config without a password connects through PGPASSWORD; it is never printed", async () => {
  const s = testServer();
  const m = new PGConnectionManager();
  try {
    await withEnv({ PGPASSWORD: s.password }, async () => {
      const db = await m.getDatabaseConnectionFromConfig(noPassword(), "pool");
      assert.deepEqual([...await db.sql`SELECT 2 AS two`], [{ two: 2 }]);
      assert.ok(!Deno.inspect(db.sql.options).includes(s.password));
    });
    await withEnv({ PGPASSWORD: s.password }, async () => {
      await assert.rejects(
        m.getDatabaseConnectionFromConfig(noPassword({ dbname: "no_such_db_x" }), "normal"),
        (e: Error) => !e.message.includes(s.password) && /no_such_db_x/.test(e.message),
      );
    });
  } finally {
    await m.clearCache();
  }
});

Deno.test("host: 'down-host,server' connects to the second host; all down names each host", async () => {
  const s = testServer();
  const dead = freePort();
  const m = new PGConnectionManager();
  try {
    const cfg = {
      ...noPassword({
        host: `${s.host},${s.host}`,
        port: `${dead},${s.port}`,
        password: s.password,
        connect_timeout: 3,
      }),
    };
    for (const type of TYPES) {
      const db = await m.getDatabaseConnectionFromConfig(cfg, type);
      const [{ port }] = await db.sql`SELECT inet_server_port() AS port`;
      assert.equal(port, s.port, type);
    }
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(
        noPassword({ host: "down-host.invalid,127.0.0.1", port: `5432,${dead}`, password: "x" }),
        "normal",
      ),
      (e: Error) => {
        assert.match(e.message, /any of 2 hosts/);
        assert.match(e.message, /down-host\.invalid:5432: host not found/);
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${dead}: connection refused`));
        return true;
      },
    );
  } finally {
    await m.clearCache();
  }
});

/** Host list `a,b` (by port) of a replication pair. */
function pairConfig(pair: ReplicationPair, order: ("primary" | "standby")[], extra = {}) {
  return {
    connection_settings: {
      host: order.map(() => "127.0.0.1").join(","),
      port: order.map((n) => pair[n].port).join(","),
      user: pair.user,
      password: pair.password,
      dbname: "postgres",
      sslmode: "disable",
      connect_timeout: 3,
      ...extra,
    },
    pool_settings: { min_size: 2, max_size: 4, timeout: 10 },
    async_pool_settings: { min_size: 2, max_size: 4, timeout: 10 },
  };
}

Deno.test({
  name: "target_session_attrs on a primary + streaming standby; failover of pool and async_pool",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const pair = await startPrimaryWithStandby();
    const m = new PGConnectionManager();
    try {
      const where = async (cfg: unknown, type = "normal") => {
        const db = await m.getDatabaseConnectionFromConfig(cfg as Record<string, unknown>, type);
        const [{ port }] = await db.sql`SELECT inet_server_port() AS port`;
        return port === pair.primary.port ? "primary" : "standby";
      };
      await t.step(
        "read-write lands on the primary, read-only and standby on the standby",
        async () => {
          const both: ("primary" | "standby")[] = ["standby", "primary"];
          const reversed: ("primary" | "standby")[] = ["primary", "standby"];
          assert.equal(
            await where(pairConfig(pair, both, { target_session_attrs: "read-write" })),
            "primary",
          );
          assert.equal(
            await where(pairConfig(pair, both, { target_session_attrs: "primary" })),
            "primary",
          );
          assert.equal(
            await where(pairConfig(pair, reversed, { target_session_attrs: "read-only" })),
            "standby",
          );
          assert.equal(
            await where(pairConfig(pair, reversed, { target_session_attrs: "standby" })),
            "standby",
          );
          assert.equal(
            await where(pairConfig(pair, reversed, { target_session_attrs: "prefer-standby" })),
            "standby",
          );
          assert.equal(
            await where(pairConfig(pair, reversed, { target_session_attrs: "any" })),
            "primary",
          );
          // and from the environment, as Python's libpq reads it
          await withEnv({ PGTARGETSESSIONATTRS: "standby" }, async () => {
            assert.equal(await where(pairConfig(pair, reversed)), "standby");
          });
          await assert.rejects(
            m.getDatabaseConnectionFromConfig(pairConfig(pair, ["standby"], {
              target_session_attrs: "read-write",
            })),
            /session is read-only \(target_session_attrs=read-write\)/,
          );
        },
      );

      await t.step(
        "failover: stop the primary, promote the standby; pools find the new primary",
        async () => {
          const order: ("primary" | "standby")[] = ["primary", "standby"];
          const cfg = pairConfig(pair, order, { target_session_attrs: "read-write" });
          const pools = await Promise.all(
            (["pool", "async_pool"] as const).map((type) =>
              m.getDatabaseConnectionFromConfig(cfg, type)
            ),
          );
          await pools[0].sql`CREATE TABLE IF NOT EXISTS failover_t (id int PRIMARY KEY, type text)`;
          let id = 0;
          const acknowledged: number[] = [];
          let stop = false;
          const errors: string[] = [];
          const worker = (db: typeof pools[0], type: string) =>
            (async () => {
              while (!stop) {
                const n = ++id;
                try {
                  await db.transaction((tx) => tx`INSERT INTO failover_t VALUES (${n}, ${type})`);
                  acknowledged.push(n);
                } catch (e) {
                  errors.push((e as Error).message);
                  await sleep(50);
                }
              }
            })();
          const workers = pools.flatMap((db, i) => [worker(db, String(i)), worker(db, String(i))]);
          await sleep(300);
          await pair.waitForReplay();
          await pair.stopPrimary();
          const t0 = performance.now();
          await pair.promote();
          const promotedAt = performance.now();
          const before = acknowledged.length;
          // every pool serves new transactions on the new primary by itself
          let firstSuccess = 0;
          while (acknowledged.length === before) {
            if (performance.now() - promotedAt > 30_000) {
              assert.fail("no commit after the promotion");
            }
            await sleep(20);
          }
          firstSuccess = performance.now();
          await sleep(500);
          stop = true;
          await Promise.all(workers);
          console.log(
            `failover: primary stopped → promoted in ${((promotedAt - t0) / 1000).toFixed(2)} s; ` +
              `first commit on the new primary ${
                ((firstSuccess - promotedAt) / 1000).toFixed(2)
              } s ` +
              `after promotion; ${errors.length} calls failed meanwhile (with errors, none hung)`,
          );
          // commits acknowledged after the promotion are on the new primary (synchronous_commit
          // is off on the test cluster, so commits just before the crash may be lost with it)
          const newPrimary = pools[0];
          const after = acknowledged.slice(before);
          const rows = await newPrimary.sql`SELECT id FROM failover_t WHERE id = ANY(${after})`;
          assert.equal(
            rows.length,
            after.length,
            "an acknowledged commit after failover is missing",
          );
          for (const db of pools) {
            const [{ standby }] = await db.sql`SELECT pg_is_in_recovery() AS standby`;
            assert.equal(standby, false);
          }
        },
      );
    } finally {
      await m.clearCache();
      await pair.stop();
    }
  },
});

Deno.test({
  name: "the four types behind PgBouncer (transaction pooling) with sync_settings and parameters",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = testServer();
    const bouncer = await startPgBouncer({
      server: { host: s.host, port: s.port, user: s.user, password: s.password },
      poolSize: 3,
    });
    const m = new PGConnectionManager();
    try {
      const cfg = {
        connection_settings: {
          host: bouncer.host,
          port: bouncer.port,
          user: bouncer.user,
          password: bouncer.password,
          dbname: db0.dbname,
          sslmode: "disable",
          application_name: "pgm-bouncer",
        },
        sync_settings: { statement_timeout: "31000", lock_timeout: "7000" },
        async_settings: { statement_timeout: "17000" },
        pool_settings: { min_size: 2, max_size: 6, timeout: 10 },
        async_pool_settings: { min_size: 2, max_size: 6, timeout: 10 },
        js_settings: { pgbouncer: true },
      };
      for (const type of TYPES) {
        const db = await m.getDatabaseConnectionFromConfig(cfg, type);
        const [{ statement_timeout }] = await db.transaction((tx) => tx`SHOW statement_timeout`);
        assert.equal(statement_timeout, type === "normal" || type === "pool" ? "31s" : "17s", type);
        // 30 concurrent parameterised statements: no named prepared statements to lose
        const results = await Promise.all(
          Array.from(
            { length: 30 },
            (_, i) => db.sql`SELECT ${i}::int AS i, ${"x" + i}::text AS t`,
          ),
        );
        assert.deepEqual(results.map((r) => r[0].i), Array.from({ length: 30 }, (_, i) => i));
        const tx = await Promise.all(
          Array.from({ length: 12 }, (_, i) => db.transaction((t) => t`SELECT ${i}::int AS i`)),
        );
        assert.equal(tx.length, 12);
        await assert.rejects(db.sql.listen("chan", () => {}), /PgBouncer/);
      }
      // without the switch, PgBouncer refuses the session settings, and the error says what to do
      await assert.rejects(
        m.getDatabaseConnectionFromConfig({ ...cfg, js_settings: {} }, "pool"),
        /unsupported startup parameter: statement_timeout.*js_settings\.pgbouncer: true/,
      );
    } finally {
      await m.clearCache();
      await bouncer.stop();
    }
  },
});

Deno.test("teardown: close the admin connection", () => db0.close());
