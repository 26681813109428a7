// Export a table with pgexport, import the file with pgimport into a new
// table: the rows must be identical. Through the CLI, on the real server.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freshDatabase } from "../support/db.ts";
import { cli, importSettings, show, tempDir, writeConnConfig } from "./_helpers.ts";

const db = await freshDatabase("roundtrip");
const dir = await tempDir("roundtrip");
const conn = await writeConnConfig(dir, db);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const TRICKY = [
  'he said "hi"',
  '"',
  '""',
  "a,b;c|d\te",
  "line 1\nline 2",
  "crlf\r\nline",
  "lone\rcr",
  "\n",
  "C:\\path\\",
  "\\N",
  "\\.",
  "Zoë 日本語 😀 ﻿bom-lookalike",
  "",
  "  padded  ",
  "'single' quotes",
  "#not a comment",
];

await db.admin.unsafe(`CREATE TABLE src (id int, a text, b text)`);
for (const [i, value] of TRICKY.entries()) {
  await db.admin`INSERT INTO src VALUES (${i + 1}, ${value}, ${TRICKY[TRICKY.length - 1 - i]})`;
}
await db.admin`INSERT INTO src VALUES (100, '', '')`; // empty strings everywhere but the id

async function run(args: string[], cwd: string) {
  const r = await cli([...args, "--connconfig", conn], cwd);
  strictEqual(r.code, 0, show(r));
  return r;
}

/** Rows of a table as text, sorted. */
async function rows(table: string, columns: string): Promise<string[][]> {
  const result = await db.admin.unsafe(`SELECT ${columns} FROM ${table}`);
  return result.map((r) => Object.values(r).map((v) => String(v))).sort((x, y) =>
    JSON.stringify(x) < JSON.stringify(y) ? -1 : 1
  );
}

async function roundTrip(
  name: string,
  source: string,
  columns: string,
  exportSettings: string,
  importSettingsText: string,
): Promise<void> {
  const work = join(dir, name);
  await mkdir(work);
  await writeFile(join(work, "out.yaml"), exportSettings);
  await run(["pgexport", "--table", source, "--export_file", "out.csv"], work);
  await writeFile(join(work, "out.yaml"), importSettingsText);
  const imported = await run(
    ["pgimport", "--import_file", "out.csv", "--table", `rt_${name}`],
    work,
  );
  const [{ n }] = await db.admin.unsafe(`SELECT count(*)::int AS n FROM ${source}`);
  strictEqual(imported.stdout.includes(`Rows imported: ${n}\n`), true, imported.stdout);
  deepStrictEqual(
    await rows(`rt_${name}`, columns),
    await rows(source, `${columns.split(", ").map((c) => `${c}::text`).join(", ")}`),
  );
}

Deno.test("round trip: quotes, delimiters, newlines, tabs, backslashes, unicode, empty strings", async () => {
  await roundTrip(
    "csv",
    "src",
    "id, a, b",
    "delimiter: ','\nencoding: utf-8\nquotechar: '\"'\n",
    importSettings(),
  );
});

Deno.test("round trip with ';' and the quote character ' on both sides", async () => {
  await roundTrip(
    "semi",
    "src",
    "id, a, b",
    'delimiter: ;\nencoding: utf-8\nquotechar: "\'"\n',
    importSettings({ delimiter: ";", quotechar: "'" }),
  );
});

Deno.test("round trip through a UTF-16 file (decoded on our side both ways)", async () => {
  await roundTrip(
    "u16",
    "src",
    "id, a, b",
    "delimiter: '\\t'\nencoding: utf-16\nquotechar: '\"'\n",
    importSettings({ delimiter: "\t", encoding: "utf-16" }),
  );
});

Deno.test("round trip through Latin-1 (converted by the server both ways)", async () => {
  await db.admin.unsafe(
    `CREATE TABLE src_latin AS SELECT id, a, b FROM src WHERE a !~ '[^\\x01-\\xff]' AND b !~ '[^\\x01-\\xff]'`,
  );
  await db.admin`INSERT INTO src_latin VALUES (200, 'Zoë Ærø', 'façade')`;
  await roundTrip(
    "latin",
    "src_latin",
    "id, a, b",
    "delimiter: ','\nencoding: latin1\nquotechar: '\"'\n",
    importSettings({ encoding: "latin1" }),
  );
  const bytes = await readFile(join(dir, "latin", "out.csv"));
  strictEqual(bytes.includes(0xeb), true, "ë is one byte in the file");
});

Deno.test("round trip of a one-column table (commas and empty strings inside)", async () => {
  await db.admin.unsafe(`CREATE TABLE one_col AS SELECT a FROM src`);
  await roundTrip(
    "one",
    "one_col",
    "a",
    "delimiter: ','\nencoding: utf-8\nquotechar: '\"'\n",
    importSettings(),
  );
});

Deno.test("round trip of an empty table: the header-only file creates an empty table", async () => {
  await db.admin.unsafe(`CREATE TABLE empty_t (x text, y text)`);
  await roundTrip(
    "empty",
    "empty_t",
    "x, y",
    "delimiter: ','\nencoding: utf-8\nquotechar: '\"'\n",
    importSettings(),
  );
  const cols = await db
    .admin`SELECT attname FROM pg_attribute WHERE attrelid = 'rt_empty'::regclass AND attnum > 0 ORDER BY attnum`;
  deepStrictEqual(cols.map((c) => c.attname), ["x", "y"]);
});

Deno.test("a 0-byte file imports nothing into an existing table", async () => {
  const work = join(dir, "zero");
  await mkdir(work);
  await writeFile(join(work, "zero.csv"), "");
  await db.admin.unsafe(`CREATE TABLE zero_t (x text)`);
  await run(["pgimport", "--import_file", "zero.csv", "--table", "zero_t"], work); // first run: settings
  const r = await run(["pgimport", "--import_file", "zero.csv", "--table", "zero_t"], work);
  strictEqual(r.stdout.includes("nothing to import"), true);
  deepStrictEqual(await rows("zero_t", "x"), []);
});

Deno.test("round trip with detection: pgimport's first run reads pgexport's file right", async () => {
  const work = join(dir, "detect");
  await mkdir(work);
  await db.admin.unsafe(`CREATE TABLE plain (id int, name text, city text)`);
  await db.admin.unsafe(
    `INSERT INTO plain VALUES (1, 'Alice', 'Paris'), (2, 'Bob', 'New York, NY'), (3, 'Zoë', '')`,
  );
  await run(["pgexport", "--table", "plain"], work); // settings
  await run(["pgexport", "--table", "plain"], work); // plain.csv
  // pgexport's settings file (same name) would serve pgimport too; detect instead.
  await Deno.remove(join(work, "plain.yaml"));
  await run(["pgimport", "--import_file", "plain.csv", "--table", "rt_plain"], work); // settings
  await run(["pgimport", "--import_file", "plain.csv", "--table", "rt_plain"], work);
  deepStrictEqual(
    await rows("rt_plain", "id, name, city"),
    await rows("plain", "id::text, name, city"),
  );
});

Deno.test("pgexport's settings file also serves pgimport (same name, compatible keys)", async () => {
  const work = join(dir, "shared");
  await mkdir(work);
  await run(["pgexport", "--table", "plain"], work);
  await writeFile(join(work, "plain.yaml"), "delimiter: '|'\nencoding: latin1\nquotechar: \"'\"\n");
  await run(["pgexport", "--table", "plain"], work);
  await run(["pgimport", "--import_file", "plain.csv", "--table", "rt_shared"], work);
  deepStrictEqual(
    await rows("rt_shared", "id, name, city"),
    await rows("plain", "id::text, name, city"),
  );
});

Deno.test("cleanup", async () => {
  await db.close();
});
