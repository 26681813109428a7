// Hostile and accidental table names for pgimport and pgexport against the
// real test server: names PostgreSQL would cut are refused (nothing
// created), every other name is used verbatim as one quoted identifier —
// nothing in a name ever runs as SQL.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { importSettings } from "../transfer/_helpers.ts";
import { assertFails, cli, type CliResult, inTurn, setUp, show, tableExists } from "./_support.ts";

const { db, dir, conn } = await setUp("hostile names");
await Deno.writeTextFile(join(dir, "data.csv"), "id,name\n1,alpha\n2,beta\n");
await Deno.writeTextFile(join(dir, "data.yaml"), importSettings());
await Deno.writeTextFile(
  join(dir, "out.yaml"),
  "delimiter: ','\nencoding: utf-8\nquotechar: '\"'\n",
);
await db.admin.unsafe("CREATE TABLE victim (id int)");
const [{ namespaces }] = await db.admin`SELECT count(*)::int AS namespaces FROM pg_namespace`;

interface Row {
  /** The `--table` argument. */
  table: string;
  /** Where it must land: `[schema, table]`, when the import succeeds. */
  lands?: [string, string];
  /** The error after `pgmonkey: pgimport failed: ` (also pgexport's, unless `exportError`). */
  error?: string;
  /** pgexport's error when it differs. */
  exportError?: string;
  /** Tables that must not exist afterwards (e.g. the cut name). */
  absent?: [string, string][];
}

const x63 = "x".repeat(63);
const CUT = "(longer names are cut, which would use a different table)";

const ROWS: Row[] = [
  {
    table: `t${x63}`,
    error:
      `invalid table name 't${x63}': the table name is 64 bytes, PostgreSQL's limit is 63 ${CUT}`,
    absent: [["public", `t${x63}`.slice(0, 63)]],
  },
  {
    table: `s${x63}.t`,
    error: `invalid table name 's${x63}.t': the schema name is 64 bytes, PostgreSQL's limit ` +
      `is 63 ${CUT}`,
  },
  {
    table: "é".repeat(32),
    error: `invalid table name '${"é".repeat(32)}': the table name is 64 bytes, PostgreSQL's ` +
      `limit is 63 ${CUT}`,
    absent: [["public", "é".repeat(31)]],
  },
  { table: "", error: "invalid table name ''" },
  { table: ".", error: "invalid table name '.'" },
  { table: "public.", error: "invalid table name 'public.'" },
  { table: ".t", error: "invalid table name '.t'" },
  {
    table: "no_such_schema.t",
    error: 'schema "no_such_schema" does not exist; nothing was imported and table ' +
      "no_such_schema.t was not created",
    exportError:
      'cannot export no_such_schema.t: schema "no_such_schema" does not exist; out.csv was not written',
  },
  {
    table: "pg_catalog.pg_namespace",
    error: "CSV headers do not match the existing table columns of pg_catalog.pg_namespace: " +
      "column 1 is 'oid' in the table but 'id' in the file; column 2 is 'nspname' in the " +
      "table but 'name' in the file; the table has 2 more: ['nspowner', 'nspacl']",
  },
  { table: 't"; DROP TABLE victim; --', lands: ["public", 't"; DROP TABLE victim; --'] },
  { table: "t'; SELECT pg_sleep(30); --", lands: ["public", "t'; SELECT pg_sleep(30); --"] },
  { table: "public.t.with.dots", lands: ["public", "t.with.dots"] },
  { table: "select", lands: ["public", "select"] },
  { table: "MixedCase", lands: ["public", "MixedCase"] },
  { table: "tä😀", lands: ["public", "tä😀"] },
  { table: "line\nbreak", lands: ["public", "line\nbreak"] },
  { table: "back\\slash", lands: ["public", "back\\slash"] },
  { table: `u${"x".repeat(62)}`, lands: ["public", `u${"x".repeat(62)}`] },
];

const run = (command: "pgimport" | "pgexport", table: string): Promise<CliResult> =>
  cli(
    command === "pgimport"
      ? ["pgimport", "--import_file", "data.csv", "--table", table, "--connconfig", conn]
      : ["pgexport", "--table", table, "--connconfig", conn, "--export_file", "out.csv"],
    dir,
  );

Deno.test(`${ROWS.length} table names: refused with one line, or used verbatim; nothing injected`, async () => {
  const results = await inTurn(
    ROWS.map((row) => async () => ({ row, r: await run("pgimport", row.table) })),
  );
  const failures: string[] = [];
  for (const { row, r } of results) {
    try {
      if (row.error) {
        assertFails(r, `pgmonkey: pgimport failed: ${row.error}`, JSON.stringify(row.table));
      } else {
        strictEqual(r.code, 0, `${JSON.stringify(row.table)}\n${show(r)}`);
        const [schema, table] = row.lands!;
        ok(await tableExists(db.admin, schema, table), `${JSON.stringify(row.table)} not created`);
        const rows: { id: string; name: string }[] = await db.admin.unsafe(
          `SELECT id, name FROM "${schema}"."${table.replaceAll('"', '""')}" ORDER BY id`,
        );
        deepStrictEqual(rows.map((x) => [x.id, x.name]), [["1", "alpha"], ["2", "beta"]]);
      }
      for (const [schema, table] of row.absent ?? []) {
        strictEqual(await tableExists(db.admin, schema, table), false, `${schema}.${table}`);
      }
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  strictEqual(failures.length, 0, failures.join("\n\n"));
  ok(await tableExists(db.admin, "public", "victim"), "the victim table was dropped");
  const [{ n }] = await db.admin`SELECT count(*)::int AS n FROM pg_namespace`;
  strictEqual(n, namespaces, "pg_namespace changed");
});

Deno.test("pgexport refuses the same names with the same line, and writes no file", async () => {
  const refused = ROWS.filter((row) => row.error && !row.table.startsWith("pg_catalog"));
  const results = await inTurn(
    refused.map((row) => async () => ({ row, r: await run("pgexport", row.table) })),
  );
  const failures: string[] = [];
  for (const { row, r } of results) {
    try {
      assertFails(
        r,
        `pgmonkey: pgexport failed: ${row.exportError ?? row.error}`,
        JSON.stringify(row.table),
      );
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  strictEqual(failures.length, 0, failures.join("\n\n"));
  strictEqual(await Deno.stat(join(dir, "out.csv")).then(() => true, () => false), false);
});

Deno.test("pgexport of the injection-named table exports its rows, and only them", async () => {
  const r = await run("pgexport", 't"; DROP TABLE victim; --');
  strictEqual(r.code, 0, show(r));
  strictEqual(await Deno.readTextFile(join(dir, "out.csv")), "id,name\n1,alpha\n2,beta\n");
  ok(await tableExists(db.admin, "public", "victim"));
});

Deno.test("teardown: drop temp dir, close the admin connection", async () => {
  await Deno.remove(dir, { recursive: true });
  await db.close();
});
