// Canaries: each postgres.js 3.4.9 behaviour that a file in src/connect/_postgresjs/ works
// around or relies on, checked on RAW postgres.js. When one of these fails, upstream changed:
// revisit that file (and maybe drop the workaround).
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import denoJson from "../../deno.json" with { type: "json" };
import {
  internalsProblem,
  loadedPostgresJsVersion,
  POSTGRES_JS_VERSION,
} from "../../src/connect/_postgresjs/version.ts";
import { instanceHooks, type RawQuery, redirect } from "../../src/connect/_postgresjs/dispatch.ts";
import { createInstance } from "../../src/connect/_postgresjs/create.ts";
import { makePostgresError } from "../../src/connect/_postgresjs/postgres_error.ts";
import { freshDatabase, rawSql } from "../support/db.ts";

const db0 = await freshDatabase("canary");
const FIXTURES = join(import.meta.dirname!, "..", "fixtures", "canary");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function raw(options: Record<string, unknown> = {}): postgres.Sql {
  return rawSql(db0.dbname, { max: 1, ...options });
}

Deno.test("version: deno.json pins, and the runtime loads, the postgres.js the workarounds target", async () => {
  assert.equal(denoJson.imports.postgres, `npm:postgres@${POSTGRES_JS_VERSION}`);
  assert.equal(await loadedPostgresJsVersion(), POSTGRES_JS_VERSION);
  assert.equal(internalsProblem(), undefined);
});

Deno.test("dispatch.ts: a query's handler is read when it executes, so another instance can run it", async () => {
  const front = postgres(
    {
      max: 1,
      fetch_types: false,
      socket: () => Promise.reject(new Error("front never connects")),
    } as postgres.Options<Record<string, postgres.PostgresType>>,
  );
  const real = raw();
  try {
    const q = front`SELECT ${41}::int + 1 AS n` as unknown as RawQuery;
    assert.equal(typeof q.handler, "function");
    assert.ok("canceller" in q);
    assert.equal(q.executed, false, "a tagged template does not execute until awaited");
    const hooks = instanceHooks(real);
    redirect(q, hooks.handler, hooks.canceller);
    const [{ n }] = await (q as unknown as Promise<{ n: number }[]>);
    assert.equal(n, 42);
    assert.ok(q instanceof hooks.Query);
    // postgres.js's own file() calls its instance's handler directly (why fileQuery exists)
    assert.match(String(front.file), /handler\(query\)/);
  } finally {
    await real.end();
    await front.end({ timeout: 0 });
  }
});

Deno.test("type_registry.ts: postgres.js registers array types in sql.options after its fetch", async () => {
  const sql = raw({ fetch_types: true });
  try {
    await sql`SELECT 1`;
    const parsers = sql.options.parsers as Record<number, unknown>;
    assert.equal(typeof parsers[1007], "function", "int4[] parser registered");
    const shared = (sql.options as unknown as { shared: { typeArrayMap: Record<number, number> } })
      .shared;
    assert.equal(shared.typeArrayMap[23], 1007);
  } finally {
    await sql.end();
  }
});

Deno.test("type_registry.ts: a failing type fetch is an unhandled rejection that kills the process", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(FIXTURES, "failing_type_fetch.ts")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.notEqual(out.code, 0, "the process survived: upstream now handles the fetch's failure");
  assert.match(stderr, /Uncaught|unhandled/i);
  assert.match(stderr, /type fetch refused/);
});

Deno.test("failed_socket.ts: a socket function that throws leaks the connection slot", async () => {
  let calls = 0;
  const sql = postgres({
    max: 1,
    fetch_types: false,
    socket: () => {
      calls++;
      throw new Error("no socket");
    },
  } as postgres.Options<Record<string, postgres.PostgresType>>);
  await assert.rejects(sql`SELECT 1`, /no socket/);
  let settled = false;
  const second = sql`SELECT 1`.then(() => settled = true, () => settled = true);
  await sleep(1500);
  assert.equal(settled, false, "the second query settled: upstream no longer leaks the slot");
  assert.equal(calls, 1, "the slot never tried again");
  void second;
  await sql.end({ timeout: 0 });
});

Deno.test("fatal_error.ts: a FATAL error without ReadyForQuery reaches the query as CONNECTION_CLOSED", async () => {
  const sql = raw({ connection: { application_name: "pgm-canary-fatal" } });
  try {
    await sql`SELECT 1`;
    const running = sql`SELECT pg_sleep(5)`.then(() => undefined, (e) => e);
    await sleep(300);
    await db0.admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'pgm-canary-fatal'`;
    const e = await running;
    assert.equal(e?.code, "CONNECTION_CLOSED", `got ${e?.code}: upstream now keeps the reason`);
  } finally {
    await sql.end({ timeout: 0 });
  }
});

Deno.test("create.ts: postgres.js reads PGTARGETSESSIONATTRS when target_session_attrs is null", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(FIXTURES, "target_session_attrs_env.ts")],
    env: { PGTARGETSESSIONATTRS: "read-only" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(
    new TextDecoder().decode(out.stdout).trim(),
    "raw read-only; ours none; env kept read-only",
  );
});

Deno.test("postgres_error.ts: a PostgresError built from fields carries them", () => {
  const e = makePostgresError({ severity: "FATAL", code: "57P01", message: "terminating" });
  assert.ok(e instanceof postgres.PostgresError);
  assert.equal(e.message, "terminating");
  assert.equal(e.code, "57P01");
  assert.equal(e.severity, "FATAL");
  assert.equal(e.name, "PostgresError");
});

Deno.test("createInstance gives postgres.js only our options", () => {
  const sql = createInstance({ max: 1, fetch_types: false, target_session_attrs: null });
  assert.ok(!sql.options.target_session_attrs);
  void sql.end({ timeout: 0 });
});

Deno.test("copy_completion.ts: a COPY query resolves twice (the stream, then the result)", async () => {
  const sql = raw();
  try {
    await sql`CREATE TABLE IF NOT EXISTS canary_copy (n int)`;
    const q = sql`COPY canary_copy FROM STDIN` as unknown as {
      resolve(x: unknown): unknown;
      writable(): Promise<import("node:stream").Writable>;
    };
    const resolved: unknown[] = [];
    const original = q.resolve;
    q.resolve = (x) => (resolved.push(x), original(x));
    const writable = await q.writable();
    await new Promise<void>((r) => writable.end("1\n2\n", () => r()));
    const t0 = performance.now();
    while (resolved.length < 2 && performance.now() - t0 < 5000) await sleep(10);
    assert.equal(
      resolved.length,
      2,
      "upstream now resolves a COPY once: revisit copy_completion.ts",
    );
    assert.equal((resolved[1] as { count: number }).count, 2);
  } finally {
    await sql.end();
  }
});

Deno.test("copy_completion.ts: an error after CopyDone never finishes the writable; reject sees it", async () => {
  const sql = raw();
  try {
    await sql`CREATE TABLE IF NOT EXISTS canary_copy_int (n int)`;
    const q = sql`COPY canary_copy_int FROM STDIN` as unknown as {
      reject(e: unknown): unknown;
      writable(): Promise<import("node:stream").Writable>;
    };
    let rejected: unknown;
    const original = q.reject;
    q.reject = (e) => (rejected = e, original(e));
    const writable = await q.writable();
    writable.on("error", () => {});
    let finished = false;
    writable.end("not a number\n", () => finished = true);
    await sleep(1500);
    assert.equal((rejected as { code?: string })?.code, "22P02");
    assert.equal(finished, false, "the writable finished: upstream now reports the error there");
  } finally {
    await sql.end({ timeout: 0 });
  }
});

Deno.test("teardown: close the admin connection", () => db0.close());
