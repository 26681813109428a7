// Behaviour of db.sql and transaction() that postgres.js's own test suite found wrong when it
// ran through pgmonkey (see docs/RELIABILITY.md, "postgres.js's own test suite"): each test
// here failed before its fix.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PGConnectionManager } from "../../mod.ts";
import { freshDatabase } from "../support/db.ts";

const db0 = await freshDatabase("pgjs_findings");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function config(type: string) {
  return {
    connection_type: type,
    connection_settings: { ...db0.settings, application_name: "pgjs-findings" },
    pool_settings: { min_size: 1, max_size: 2, timeout: 5 },
  };
}

async function withHandle(
  type: string,
  fn: (db: Awaited<ReturnType<PGConnectionManager["getDatabaseConnectionFromConfig"]>>) => unknown,
  postgres?: Record<string, unknown>,
) {
  const m = new PGConnectionManager();
  try {
    await fn(await m.getDatabaseConnectionFromConfig(config(type), type, { postgres }));
  } finally {
    await m.clearCache();
  }
}

Deno.test("a transaction returning a query gives its Result (count, columns), as postgres.js", async () => {
  await withHandle("pool", async (db) => {
    const viaBegin = await db.sql.begin((sql) => sql`select 1 as x`);
    assert.equal(viaBegin.count, 1);
    assert.equal(viaBegin.columns[0].name, "x");
    const viaTransaction = await db.transaction((tx) => tx`select 1 as x union select 2`);
    assert.equal(viaTransaction.count, 2);
    const inSavepoint = await db.transaction((tx) => tx.savepoint((sp) => sp`select 1 as x`));
    assert.equal((inSavepoint as { count: number }).count, 1);
    // An array of queries returned as such is still awaited element-wise.
    const both = await db.sql.begin((sql) => [sql`select 1 as a`, sql`select 2 as b`]);
    assert.deepEqual(both.map((r) => r.count), [1, 1]);
  });
});

Deno.test("db.sql.file() takes a file URL, as fs does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "q.sql");
    await Deno.writeTextFile(path, "select 42 as answer");
    await withHandle("pool", async (db) => {
      const [{ answer }] = await db.sql.file(pathToFileURL(path) as unknown as string);
      assert.equal(answer, 42);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("db.sql.notify() runs without being awaited, as postgres.js's does", async () => {
  await withHandle("pool", async (db) => {
    const got = new Promise((resolve) => db.sql.listen("findings_chan", resolve));
    await sleep(50);
    db.sql.notify("findings_chan", "sent");
    assert.equal(await got, "sent");
  });
});

Deno.test("an error of a db.sql statement has the caller's line at the end of its stack", async () => {
  await withHandle("pool", async (db) => {
    const line = Number(new Error().stack!.split("\n")[1].match(/:(\d+):\d+\)?$/)![1]) + 1;
    const e = await db.sql`selec 1`.catch((e) => e);
    const last = e.stack.split("\n").pop() as string;
    assert.ok(last.includes("postgresjs_suite_findings.test.ts"), last);
    assert.equal(Number(last.match(/:(\d+):\d+\)?$/)![1]), line, last);
  });
});

Deno.test("a statement during a COPY on a normal handle fails at once with COPY_IN_PROGRESS", async () => {
  await withHandle("normal", async (db) => {
    await db.sql`create table findings_copy (n int)`;
    const writable = await db.sql`copy findings_copy from stdin`.writable();
    const e = await db.sql`select 1`.catch((e) => e);
    assert.equal(e.code, "COPY_IN_PROGRESS");
    // Once the stream is ended, statements queue behind the COPY again.
    writable.end("1\n2\n");
    const [{ n }] = await db.sql`select count(*)::int as n from findings_copy`;
    assert.equal(n, 2);
  });
});

Deno.test("a transaction whose connection closes while fn is busy elsewhere fails at once", async () => {
  await withHandle("pool", async (db) => {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const e = await db.transaction(async (tx) => {
      const [{ pid }] = await tx`select pg_backend_pid() as pid`;
      await db0.admin`select pg_terminate_backend(${pid})`;
      // Busy, not on the database: raw postgres.js's begin() rejects right away too.
      await new Promise((r) => timer = setTimeout(r, 8000));
      return "committed?";
    }).catch((e) => e);
    clearTimeout(timer);
    assert.equal(e.code, "CONNECTION_CLOSED", String(e));
    assert.match(e.message, /closed during the transaction; nothing was committed/);
    assert.ok(performance.now() - started < 7000, "did not wait for fn");
    // A statement in flight when the connection dies keeps the server's reason (for the
    // caller awaiting it: fn waits on nothing else, so its statement's error comes first).
    let killing: Promise<unknown> | undefined;
    const inFlight = await db.transaction(async (tx) => {
      const [{ pid }] = await tx`select pg_backend_pid() as pid`;
      const sleeping = tx`select pg_sleep(5)`; // lazy: runs once awaited below
      setTimeout(() => killing = db0.admin`select pg_terminate_backend(${pid})`.then(), 150);
      await sleeping;
    }).catch((e) => e);
    await killing;
    assert.equal(inFlight.code, "57P01", String(inFlight));
  });
});

Deno.test("a debug hook sees the caller's statements, not the connection's login", async () => {
  const seen: string[] = [];
  await withHandle("normal", async (db) => {
    await db.sql`select 1 as first_statement`;
    assert.deepEqual(seen, ["select 1 as first_statement"]);
  }, { debug: (_id: number, query: string) => seen.push(query), fetch_types: false });
});
