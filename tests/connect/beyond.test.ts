// What no peer has, against the real test server: observability through diagnostics_channel and
// Prometheus text, leak detection, on-connect hooks, safe retries of serialization failures,
// rotating secrets under a live pool, health checks, the foreign-connection guard, and the
// warning for a literal password in a group-readable config file.
import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { join } from "node:path";
import { CHANNELS, PGConnectionManager } from "../../mod.ts";
import { freshDatabase, testServer } from "../support/db.ts";

const db0 = await freshDatabase("beyond");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TYPES = ["normal", "pool", "async", "async_pool"] as const;

function config(js: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) {
  return {
    connection_settings: { ...db0.settings, application_name: "pgm-beyond", ...settings },
    pool_settings: { min_size: 1, max_size: 2, timeout: 3 },
    async_pool_settings: { min_size: 1, max_size: 2, timeout: 3 },
    js_settings: js,
  };
}

/** Collects what is published on the pgmonkey channels while `fn` runs. */
async function collect(
  fn: () => Promise<void>,
): Promise<Record<string, Record<string, unknown>[]>> {
  const seen: Record<string, Record<string, unknown>[]> = {};
  const handlers = Object.values(CHANNELS).map((name) => {
    const h = (m: unknown) => (seen[name] ??= []).push(m as Record<string, unknown>);
    subscribe(name, h);
    return [name, h] as const;
  });
  try {
    await fn();
  } finally {
    for (const [name, h] of handlers) unsubscribe(name, h);
  }
  return seen;
}

Deno.test("diagnostics_channel: connect, checkout, query (no parameter values), pool and error events", async () => {
  const m = new PGConnectionManager();
  try {
    const seen = await collect(async () => {
      const db = await m.getDatabaseConnectionFromConfig(config(), "pool");
      await db.sql`SELECT ${"secret-value"}::text AS v, generate_series(1, 3) AS n`;
      await db.transaction((tx) => tx`SELECT 1 AS inside`);
      await db.sql`SELECT 1/0`.catch(() => {});
    });
    const connect = seen[CHANNELS.connect] ?? [];
    assert.ok(connect.length >= 1);
    assert.equal(connect[0].connectionType, "pool");
    assert.equal(connect[0].host, "127.0.0.1");
    assert.equal(connect[0].tls, false);
    assert.equal(typeof connect[0].durationMs, "number");
    const checkout = seen[CHANNELS.checkout] ?? [];
    assert.ok(checkout.length >= 1 && typeof checkout[0].waitMs === "number");
    const queries = seen[CHANNELS.query] ?? [];
    const select = queries.find((q) => String(q.text).includes("generate_series"));
    assert.ok(select, JSON.stringify(queries));
    assert.equal(select.rows, 3);
    assert.match(String(select.text), /\$1::text/);
    assert.ok(!JSON.stringify(queries).includes("secret-value"), "no parameter values");
    assert.ok(
      queries.some((q) => q.text === "SELECT 1 AS inside"),
      "statements inside transactions too",
    );
    const failed = queries.find((q) => String(q.text).includes("1/0"));
    assert.equal((failed?.error as { code?: string })?.code, "22012");
    assert.ok((seen[CHANNELS.queryStart] ?? []).length >= queries.length);
    assert.ok((seen[CHANNELS.pool] ?? []).some((p) => p.size === 1));
    // a connection that cannot be opened is an error event
    const failures = await collect(async () => {
      await m.getDatabaseConnectionFromConfig(config({}, { port: 1 }), "normal").catch(() => {});
    });
    assert.ok((failures[CHANNELS.error] ?? []).some((e) => /refused/.test(JSON.stringify(e))));
  } finally {
    await m.clearCache();
  }
});

Deno.test("metrics(): the stats as Prometheus text, per handle and for the manager", async () => {
  const m = new PGConnectionManager();
  try {
    const db = await m.getDatabaseConnectionFromConfig(config(), "async_pool");
    await db.transaction((tx) => tx`SELECT 1`);
    const text = db.metrics();
    assert.match(text, /^# HELP pgmonkey_pool_connections /m);
    assert.match(text, /^# TYPE pgmonkey_pool_checkouts_total counter$/m);
    assert.match(
      text,
      /^pgmonkey_pool_checkouts_total\{type="async_pool",handle="[0-9a-f]{12}",target="postgres@127\.0\.0\.1:\d+\/t_beyond_\w+"\} 1$/m,
    );
    assert.ok(!text.includes(testServer().password));
    assert.match(m.metrics(), /pgmonkey_pool_connections\{type="async_pool"/);
  } finally {
    await m.clearCache();
  }
});

Deno.test("leak detection: one warning with the borrower's stack, a second line on return", async () => {
  const warnings: string[] = [];
  const m = new PGConnectionManager({ onWarning: (w) => warnings.push(w) });
  try {
    const db = await m.getDatabaseConnectionFromConfig(
      config({ leak_detection_threshold: 0.3 }),
      "pool",
    );
    const held = await db.acquire();
    await sleep(700);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(
      warnings[0],
      /borrowed for 0\.3 s and not returned \(js_settings\.leak_detection_threshold\)/,
    );
    assert.match(warnings[0], /beyond\.test\.ts/, "the stack names the borrowing code");
    held.release();
    assert.equal(warnings.length, 2);
    assert.match(warnings[1], /returned after 0\.[6-9]|returned after [1-9]/);
    await db.transaction((tx) => tx`SELECT 1`); // short borrows stay silent
    assert.equal(warnings.length, 2);
  } finally {
    await m.clearCache();
  }
});

Deno.test("onConnect runs once on every new physical connection, on all four types; a failing hook fails that connection", async () => {
  const m = new PGConnectionManager();
  try {
    for (const type of TYPES) {
      const pids = new Set<number>();
      const db = await m.getDatabaseConnectionFromConfig(config(), type, {
        onConnect: async (sql) => {
          const [{ pid }] = await sql`SELECT pg_backend_pid() AS pid`;
          pids.add(pid);
          await sql`SET search_path TO hooked, public`;
        },
      });
      const [{ search_path }] = await db.sql`SHOW search_path`;
      assert.equal(search_path, "hooked, public", type);
      const [{ inside }] = await db.transaction((tx) =>
        tx`SELECT current_setting('search_path') AS inside`
      );
      assert.equal(inside, "hooked, public", type);
      assert.ok(pids.size >= 1, type);
    }
    await assert.rejects(
      m.getDatabaseConnectionFromConfig(config(), "pool", {
        onConnect: async (sql) => {
          await sql`SET ROLE no_such_role_xyz`;
        },
      }),
      (e: Error) =>
        /onConnect failed on 127\.0\.0\.1:\d+: role "no_such_role_xyz" does not exist/.test(
          e.message,
        ),
    );
  } finally {
    await m.clearCache();
  }
});

Deno.test("transaction(fn, { retry }) retries two conflicting SERIALIZABLE transactions; only 40001/40P01", async () => {
  const m = new PGConnectionManager();
  try {
    const db = await m.getDatabaseConnectionFromConfig(config({}, {}), "pool");
    await db.sql`CREATE TABLE ledger (id int PRIMARY KEY, n int)`;
    await db.sql`INSERT INTO ledger VALUES (1, 0), (2, 0)`;
    // Two transactions that each read what the other writes: one of them must fail with 40001.
    const conflicting = (from: number, to: number, attempts: number[], retry?: number) =>
      db.transaction(async (tx) => {
        attempts.push(1);
        const [{ n }] = await tx`SELECT sum(n)::int AS n FROM ledger WHERE id = ${from}`;
        await sleep(150);
        await tx`UPDATE ledger SET n = ${n + 1} WHERE id = ${to}`;
      }, { isolation: "serializable", retry });
    const a: number[] = [];
    const b: number[] = [];
    await Promise.all([conflicting(1, 2, a, 3), conflicting(2, 1, b, 3)]);
    assert.ok(a.length + b.length >= 3, `a retry happened (${a.length} + ${b.length} attempts)`);
    // without retry one of them fails with 40001
    const results = await Promise.allSettled([conflicting(1, 2, []), conflicting(2, 1, [])]);
    const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    assert.equal(failed.length, 1);
    assert.equal(failed[0].reason.code, "40001");
    // other errors are never retried
    let runs = 0;
    await assert.rejects(
      db.transaction(async (tx) => {
        runs++;
        await tx`INSERT INTO ledger VALUES (1, 0)`;
      }, { retry: 5 }),
      { code: "23505" },
    );
    assert.equal(runs, 1);
  } finally {
    await m.clearCache();
  }
});

Deno.test("rotating secrets: from_file re-read for each new connection; same pool from the cache; async password functions", async () => {
  const dir = await Deno.makeTempDir();
  const secret = join(dir, "pw");
  const role = `rot_${crypto.randomUUID().slice(0, 8)}`;
  await db0.admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'first-pw'`);
  await db0.admin.unsafe(`GRANT ALL ON DATABASE "${db0.dbname}" TO ${role}`);
  await Deno.writeTextFile(secret, "first-pw\n");
  const m = new PGConnectionManager();
  try {
    const cfg = config({ reread_secrets: true }, {
      user: role,
      password: { from_file: secret },
      application_name: role,
    });
    const db = await m.getDatabaseConnectionFromConfig(cfg, "pool", { resolveEnv: true });
    const [{ who }] = await db.sql`SELECT current_user AS who`;
    assert.equal(who, role);
    // rotate: the server first, then the mounted secret (as Kubernetes does)
    await db0.admin.unsafe(`ALTER ROLE ${role} PASSWORD 'second-pw'`);
    await Deno.writeTextFile(secret, "second-pw\n");
    assert.equal(
      await m.getDatabaseConnectionFromConfig(cfg, "pool", { resolveEnv: true }),
      db,
      "the cache still returns the same pool",
    );
    // every existing session ends; the pool's new connections log in with the new secret
    await db0.admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ${role}`;
    await sleep(200);
    const [{ again }] = await db.transaction((tx) => tx`SELECT current_user AS again`);
    assert.equal(again, role);
    // an async password function from the API (a cloud IAM token, say)
    let asked = 0;
    const viaFn = await m.getDatabaseConnectionFromConfig(
      config({}, { user: role, password: undefined }),
      "normal",
      { password: async () => (asked++, await Promise.resolve("second-pw")) },
    );
    assert.deepEqual([...await viaFn.sql`SELECT 1 AS one`], [{ one: 1 }]);
    assert.ok(asked >= 1);
  } finally {
    await m.clearCache();
    await db0.admin.unsafe(`REVOKE ALL ON DATABASE "${db0.dbname}" FROM ${role}`);
    await db0.admin.unsafe(`DROP ROLE ${role}`);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("health(): per handle type, target, reachable, last error, stats; fast and never throwing", async () => {
  const m = new PGConnectionManager();
  try {
    const db = await m.getDatabaseConnectionFromConfig(config(), "pool");
    const one = await m.getDatabaseConnectionFromConfig(
      { ...config(), pool_settings: { min_size: 1, max_size: 1, timeout: 5 } },
      "pool",
    );
    const held = await one.acquire(); // its only connection is busy: the probe cannot answer
    const t0 = performance.now();
    const report = await m.health(500);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(report.length, 2);
    const ok = report.find((r) => r.reachable)!;
    assert.equal(ok.connectionType, "pool");
    assert.match(ok.target!, /^postgres@127\.0\.0\.1:\d+\//);
    assert.equal(typeof ok.latencyMs, "number");
    assert.equal(ok.stats!.size >= 1, true);
    const busy = report.find((r) => !r.reachable)!;
    assert.match(busy.lastError!, /no answer within 500 ms/);
    held.release();
    await db.close();
    const closed = await db.health();
    assert.equal(closed.reachable, false);
    assert.equal(closed.closed, true);
  } finally {
    await m.clearCache();
  }
});

Deno.test("the foreign-connection guard: warn (default) with the stack, reject, or allow", async () => {
  const warnings: string[] = [];
  const m = new PGConnectionManager({ onWarning: (w) => warnings.push(w) });
  try {
    const db = await m.getDatabaseConnectionFromConfig(config(), "pool");
    await db.transaction(async (tx) => {
      await tx`SELECT 1`; // fine
      await db.sql`SELECT 2`; // foreign
    });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /db\.sql statement ran on another connection .* inside transaction\(\)/,
    );
    assert.match(warnings[0], /beyond\.test\.ts/);
    await db.sql`SELECT 3`; // outside a transaction: fine
    assert.equal(warnings.length, 1);
    const strict = await m.getDatabaseConnectionFromConfig(
      config({ foreign_connections: "reject" }),
      "pool",
    );
    await assert.rejects(
      strict.transaction(async () => {
        await strict.sql`SELECT 1`;
      }),
      { code: "FOREIGN_CONNECTION" },
    );
    await assert.rejects(
      strict.transaction(() => strict.transaction((tx) => tx`SELECT 1`)),
      { code: "FOREIGN_CONNECTION" },
    );
    const relaxed = await m.getDatabaseConnectionFromConfig(
      config({ foreign_connections: "allow" }),
      "pool",
    );
    await relaxed.transaction(() => relaxed.sql`SELECT 1`);
    assert.equal(warnings.length, 1);
  } finally {
    await m.clearCache();
  }
});

Deno.test("a literal password in a group-readable config file gets one warning naming the file and chmod 600", async () => {
  const dir = await Deno.makeTempDir();
  const warnings: string[] = [];
  const m = new PGConnectionManager({ onWarning: (w) => warnings.push(w) });
  try {
    const open = join(dir, "open.yaml");
    await Deno.writeTextFile(open, JSON.stringify(config()));
    await Deno.chmod(open, 0o644);
    await m.getDatabaseConnection(open, "normal");
    await m.getDatabaseConnection(open, "normal");
    assert.equal(warnings.length, 1);
    assert.equal(
      warnings[0],
      `${open}: holds a literal password and can be read by group or others (mode 0644); ` +
        `restrict it with chmod 600 ${open}, or take the password from from_env / from_file`,
    );
    const closed = join(dir, "closed.yaml");
    await Deno.writeTextFile(closed, JSON.stringify(config()));
    await Deno.chmod(closed, 0o600);
    await m.getDatabaseConnection(closed, "pool");
    const referenced = join(dir, "ref.yaml");
    await Deno.writeTextFile(
      referenced,
      JSON.stringify(config({}, { password: { from_env: "PGM_BEYOND_PW" } })),
    );
    await Deno.chmod(referenced, 0o644);
    await assert.rejects(m.getDatabaseConnection(referenced, "normal")); // no password: fails
    assert.equal(warnings.length, 1, warnings.join("\n"));
  } finally {
    await m.clearCache();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("teardown: close the admin connection", () => db0.close());
