// Canaries for two postgres.js 3.4.9 internals the layer relies on (see
// src/connect/_postgresjs/tagged_query.ts and quiet_debug.ts): each fails once upstream behaves
// differently.
import assert from "node:assert/strict";
import postgres from "postgres";
import { isTemplate, taggedQueryClass } from "../../src/connect/_postgresjs/tagged_query.ts";
import { withoutDebug } from "../../src/connect/_postgresjs/quiet_debug.ts";
import type { RawQuery } from "../../src/connect/_postgresjs/dispatch.ts";
import { rawSql } from "../support/db.ts";

const template = (strings: TemplateStringsArray, ..._args: unknown[]) => strings;

Deno.test("canary: new Query(strings, args, handler, canceller) is what sql`…` makes", async () => {
  const sql = postgres({ host: "canary.invalid", max: 1 }); // never connects
  const Query = taggedQueryClass(sql);
  const strings = template`select ${1} as x`;
  assert.ok(isTemplate(strings));
  assert.ok(!isTemplate("select 1") && !isTemplate(undefined));
  const ran: RawQuery[] = [];
  const handler = (q: RawQuery) => void ran.push(q);
  const canceller = () => {};
  const line = Number(new Error().stack!.split("\n")[1].match(/:(\d+):\d+\)?$/)![1]) + 1;
  const q = new Query(strings, [1], handler, canceller);
  assert.ok(q instanceof Promise);
  assert.equal(q.strings, strings);
  assert.deepEqual(q.args, [1]);
  assert.equal(q.handler, handler);
  assert.equal(q.canceller, canceller);
  // The query is executed through its handler once awaited…
  void (q as unknown as Promise<unknown>).then(() => {}, () => {});
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(ran, [q]);
  // …and records the line that called the constructor as its origin.
  const origin = (q as unknown as { origin: string }).origin;
  assert.ok(origin.includes(`postgresjs_tagged_query.test.ts:${line}:`), origin);
  q.reject(new Error("done"));
  await sql.end();
});

Deno.test("canary: postgres.js reads the debug hook from sql.options for every query", async () => {
  const sql = rawSql("postgres", { max: 1, fetch_types: false });
  try {
    const seen: string[] = [];
    (sql.options as unknown as { debug: unknown }).debug = (_: number, q: string) => seen.push(q);
    await sql`select 1 as seen`;
    await withoutDebug(sql, async () => {
      await sql`select 2 as hidden`;
    });
    await sql`select 3 as seen_again`;
    assert.deepEqual(seen, ["select 1 as seen", "select 3 as seen_again"]);
  } finally {
    await sql.end();
  }
});
