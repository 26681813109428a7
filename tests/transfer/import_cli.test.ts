// pgimport as a user runs it: the CLI in a subprocess against the real server.
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freshDatabase } from "../support/db.ts";
import { cli, failsWith, importSettings, show, tempDir, writeConnConfig } from "./_helpers.ts";

const db = await freshDatabase("import_cli");
const dir = await tempDir("import");
const conn = await writeConnConfig(dir, db);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const imp = (file: string, table: string, ...extra: string[]) =>
  cli(["pgimport", "--import_file", file, "--table", table, "--connconfig", conn, ...extra], dir);

async function exists(table: string): Promise<boolean> {
  const [{ e }] = await db.admin`SELECT to_regclass(${table}) IS NOT NULL AS e`;
  return e;
}

Deno.test("first run writes the settings file, prints what it found, and stops", async () => {
  await writeFile(join(dir, "first.csv"), "id;name\n1;Alice\n2;Bob\n");
  const r = await imp("first.csv", "t_first");
  strictEqual(r.code, 0, show(r));
  deepStrictEqual(r.stdout.split("\n"), [
    "Import config file 'first.yaml' not found. Creating it using advanced encoding detection.",
    "Detected encoding: ascii with confidence: 1.0",
    "Detected delimiter: ';', has_headers: true",
    "Import configuration file 'first.yaml' has been created.",
    "Please review the file and adjust settings if necessary before running the import process again.",
    "",
  ]);
  strictEqual(r.stderr, "");
  match(
    await readFile(join(dir, "first.yaml"), "utf8"),
    /^auto_create_table: true\ndelimiter: ;\n/,
  );
  strictEqual(await exists("t_first"), false);
  const second = await imp("first.csv", "t_first");
  strictEqual(second.code, 0, show(second));
  match(
    second.stdout,
    /Rows imported: 2\n\nData from first\.csv copied to public\.t_first\.\nImport complete\.\n$/,
  );
  strictEqual(second.stderr, "", "no progress bar when stderr is not a terminal");
});

Deno.test("a malformed row at line 1,000,001 aborts the whole import: nothing imported", async () => {
  const file = join(dir, "big.csv");
  const fh = await open(file, "w");
  const enc = new TextEncoder();
  await fh.write(enc.encode("id,name,amount\n"));
  let block: string[] = [];
  for (let i = 1; i < 1_000_000; i++) {
    block.push(`${i},name ${i},${i * 3}\n`);
    if (block.length === 50_000) {
      await fh.write(enc.encode(block.join("")));
      block = [];
    }
  }
  block.push("1000000,bad row\n"); // line 1,000,001: 2 fields
  block.push("1000001,after,3\n");
  await fh.write(enc.encode(block.join("")));
  await fh.close();
  await writeFile(join(dir, "big.yaml"), importSettings());

  // New table: not created.
  const r = await imp("big.csv", "t_big");
  failsWith(
    r,
    /^pgmonkey: pgimport failed: big\.csv: line 1000001: 2 fields, expected 3 as in the header row; nothing was imported and table public\.t_big was not created$/,
  );
  strictEqual(await exists("t_big"), false);

  // Existing table: exactly as before.
  await db.admin`CREATE TABLE t_big_existing (id text, name text, amount text)`;
  await db.admin`INSERT INTO t_big_existing VALUES ('x', 'y', 'z')`;
  const r2 = await imp("big.csv", "t_big_existing");
  failsWith(
    r2,
    /line 1000001: 2 fields, expected 3 .*; nothing was imported, table public\.t_big_existing is unchanged$/,
  );
  deepStrictEqual([...await db.admin`SELECT * FROM t_big_existing`], [{
    id: "x",
    name: "y",
    amount: "z",
  }]);
});

Deno.test("an unclosed quote aborts with the line where the quote opened", async () => {
  await writeFile(join(dir, "open.csv"), 'a,b\n1,2\n3,"never closed\n4,5\n');
  await writeFile(join(dir, "open.yaml"), importSettings());
  failsWith(
    await imp("open.csv", "t_open"),
    /^pgmonkey: pgimport failed: open\.csv: line 3: a quoted field is not closed \(no closing " before the end of the file\); nothing was imported and table public\.t_open was not created$/,
  );
  strictEqual(await exists("t_open"), false);
});

Deno.test("a value the existing column type rejects: file line and column named, table unchanged", async () => {
  await db.admin`CREATE TABLE t_typed (id integer, name text)`;
  await writeFile(join(dir, "typed.csv"), 'id,name\n1,a\n\n"2","b\nc"\nthree,d\n4,e\n');
  await writeFile(join(dir, "typed.yaml"), importSettings());
  failsWith(
    await imp("typed.csv", "t_typed"),
    /^pgmonkey: pgimport failed: typed\.csv: line 6: invalid input syntax for type integer: "three" \(column id\); nothing was imported, table public\.t_typed is unchanged$/,
  );
  deepStrictEqual([...await db.admin`SELECT count(*)::int AS n FROM t_typed`], [{ n: 0 }]);
});

Deno.test("empty fields are empty strings (never NULL); backslashes and tabs arrive as written", async () => {
  await writeFile(join(dir, "esc.csv"), 'a,b,c\n,\\N,"x\ty"\n"",\\.,back\\slash\n');
  await writeFile(join(dir, "esc.yaml"), importSettings());
  const r = await imp("esc.csv", "t_esc");
  strictEqual(r.code, 0, show(r));
  deepStrictEqual(
    [...await db.admin`SELECT a, b, c FROM t_esc ORDER BY c`],
    [{ a: "", b: "\\.", c: "back\\slash" }, { a: "", b: "\\N", c: "x\ty" }],
  );
  deepStrictEqual([...await db.admin`SELECT count(*)::int AS n FROM t_esc WHERE a IS NULL`], [{
    n: 0,
  }]);
});

Deno.test("enforce_lowercase: false keeps the header names as quoted identifiers", async () => {
  await writeFile(join(dir, "mixed.csv"), "Name,E-Mail Address,1st\nA,a@b.c,x\n");
  await writeFile(join(dir, "mixed.yaml"), importSettings({ enforce_lowercase: false }));
  const r = await imp("mixed.csv", "Mixed.Case Table");
  failsWith(r, /^pgmonkey: pgimport failed: schema "Mixed" does not exist/);
  await db.admin.unsafe(`CREATE SCHEMA "Mixed"`);
  const ok2 = await imp("mixed.csv", "Mixed.Case Table");
  strictEqual(ok2.code, 0, show(ok2));
  match(
    ok2.stdout,
    /Executing COPY command: COPY "Mixed"\."Case Table" \("Name", "E-Mail Address", "1st"\) FROM STDIN/,
  );
  deepStrictEqual([...await db.admin.unsafe(`SELECT * FROM "Mixed"."Case Table"`)], [
    { "Name": "A", "E-Mail Address": "a@b.c", "1st": "x" },
  ]);
});

Deno.test("encodings: legacy ones go to the server, UTF-16/32 and Shift-JIS are decoded here", async () => {
  const cases: [string, string, Uint8Array, string][] = [
    ["latin1", "ISO-8859-1", new Uint8Array([0x6e, 0x0a, 0x4a, 0x6f, 0x73, 0xe9, 0x0a]), "José"],
    ["cp1252", "Windows-1252", new Uint8Array([0x6e, 0x0a, 0x80, 0x35, 0x0a]), "€5"],
    ["koi8", "koi8-r", new Uint8Array([0x6e, 0x0a, 0xf0, 0xd2, 0xc9, 0x0a]), "При"],
    ["sjis", "shift_jis", new Uint8Array([0x6e, 0x0a, 0x83, 0x5c, 0x0a]), "ソ"], // 0x5c is "\" in ASCII
    ["u16be", "utf-16-be", new Uint8Array([0, 0x6e, 0, 0x0a, 0, 0xe9, 0, 0x0a]), "é"],
    [
      "u32",
      "utf-32",
      new Uint8Array([
        0xff,
        0xfe,
        0,
        0,
        0x6e,
        0,
        0,
        0,
        0x0a,
        0,
        0,
        0,
        0,
        0xf6,
        1,
        0,
        0x0a,
        0,
        0,
        0,
      ]),
      "😀",
    ],
  ];
  for (const [name, encoding, bytes, value] of cases) {
    await writeFile(join(dir, `${name}.csv`), bytes);
    await writeFile(join(dir, `${name}.yaml`), importSettings({ encoding }));
    const r = await imp(`${name}.csv`, `t_enc_${name}`);
    strictEqual(r.code, 0, show(r));
    deepStrictEqual(
      [...await db.admin.unsafe(`SELECT n FROM t_enc_${name}`)],
      [{ n: value }],
      name,
    );
  }
});

Deno.test("bytes that are not valid in the file's encoding: one error with the line", async () => {
  // Checked by the server (UTF-8 goes to it as is).
  await writeFile(join(dir, "badutf8.csv"), new Uint8Array([0x61, 0x0a, 0x62, 0x0a, 0xe9, 0x0a]));
  await writeFile(join(dir, "badutf8.yaml"), importSettings());
  failsWith(
    await imp("badutf8.csv", "t_badutf8"),
    /^pgmonkey: pgimport failed: badutf8\.csv: line 3: invalid byte sequence for encoding "UTF8": 0xe9 \(column a\); nothing was imported/,
  );
  // Checked here (UTF-16 is decoded on our side): an unpaired surrogate on line 2.
  await writeFile(
    join(dir, "bad16.csv"),
    new Uint8Array([0x61, 0, 0x0a, 0, 0x62, 0, 0x0a, 0, 0x00, 0xd8, 0x0a, 0]),
  );
  await writeFile(join(dir, "bad16.yaml"), importSettings({ encoding: "utf-16-le" }));
  failsWith(
    await imp("bad16.csv", "t_bad16"),
    /^pgmonkey: pgimport failed: bad16\.csv: line 3: the data is not valid utf-16-le; fix the encoding setting in the settings file; nothing was imported/,
  );
  // In the header row: found before anything is sent.
  await writeFile(join(dir, "badhead.csv"), new Uint8Array([0x61, 0xff, 0x0a, 0x62, 0x0a]));
  await writeFile(join(dir, "badhead.yaml"), importSettings());
  failsWith(
    await imp("badhead.csv", "t_badhead"),
    /^pgmonkey: pgimport failed: badhead\.csv: line 1: the data is not valid utf-8; fix the encoding setting in the settings file$/,
  );
});

Deno.test("a delimiter outside ASCII works (text path)", async () => {
  await writeFile(join(dir, "para.csv"), "a§b\n1§«x§y»\n");
  await writeFile(join(dir, "para.yaml"), importSettings({ delimiter: "§", quotechar: "«" }));
  // The quote is «…» only at the start; Python's csv has one quote character, so use « for both.
  await writeFile(join(dir, "para.csv"), "a§b\n1§«x§y«\n");
  const r = await imp("para.csv", "t_para");
  strictEqual(r.code, 0, show(r));
  deepStrictEqual([...await db.admin`SELECT a, b FROM t_para`], [{ a: "1", b: "x§y" }]);
});

Deno.test("empty file: nothing to do for an existing table, an error when the table is missing", async () => {
  await writeFile(join(dir, "zero.csv"), "");
  await writeFile(join(dir, "zero.yaml"), importSettings());
  failsWith(
    await imp("zero.csv", "t_zero"),
    /^pgmonkey: pgimport failed: zero\.csv: The CSV file does not contain any non-empty rows, so table public\.t_zero cannot be created$/,
  );
  await db.admin`CREATE TABLE t_zero (a text)`;
  const r = await imp("zero.csv", "t_zero");
  strictEqual(r.code, 0, show(r));
  match(r.stdout, /The file has no rows: nothing to import into public\.t_zero\./);
});

Deno.test("missing files, bad table names and missing tables fail with exit status 1", async () => {
  failsWith(
    await imp("missing.csv", "t"),
    /^pgmonkey: pgimport failed: Import file not found: missing\.csv$/,
  );
  await writeFile(join(dir, "x.csv"), "a\n1\n");
  await writeFile(join(dir, "x.yaml"), importSettings({ auto_create_table: false }));
  failsWith(
    await cli(
      ["pgimport", "--import_file", "x.csv", "--table", "t", "--connconfig", "nope.yaml"],
      dir,
    ),
    /^pgmonkey: pgimport failed: Connection config file not found: nope\.yaml$/,
  );
  failsWith(
    await imp("x.csv", "t_not_there"),
    /^pgmonkey: pgimport failed: Table public\.t_not_there does not exist and auto_create_table is disabled in the import configuration\.$/,
  );
  failsWith(
    await imp("x.csv", "public."),
    /^pgmonkey: pgimport failed: invalid table name 'public\.'$/,
  );
});

Deno.test("async connection types are switched to normal, as pgmonkey (Python) says", async () => {
  await writeFile(join(dir, "async.csv"), "a\n1\n");
  await writeFile(join(dir, "async.yaml"), importSettings());
  const asyncConn = join(dir, "async_conn.yaml");
  await writeFile(
    asyncConn,
    JSON.stringify({ connection_type: "async_pool", connection_settings: db.settings }),
  );
  const r = await cli([
    "pgimport",
    "--import_file",
    "async.csv",
    "--table",
    "t_async",
    "--connconfig",
    asyncConn,
  ], dir);
  strictEqual(r.code, 0, show(r));
  match(
    r.stdout,
    /Detected connection type: async_pool\.\nFor import operations, switching to 'normal' connection for better performance\.\n/,
  );
});

Deno.test("--resolve-env: the connection config may use ${VAR}; secrets never printed", async () => {
  await writeFile(join(dir, "env.csv"), "a\n1\n");
  await writeFile(join(dir, "env.yaml"), importSettings());
  const envConn = join(dir, "env_conn.yaml");
  await writeFile(
    envConn,
    JSON.stringify({
      connection_settings: { ...db.settings, password: "${PGM_TEST_PW:-wrong-pw-123}" },
    }),
  );
  const r = await cli([
    "pgimport",
    "--import_file",
    "env.csv",
    "--table",
    "t_env",
    "--connconfig",
    envConn,
    "--resolve-env",
    "--allow-sensitive-defaults",
  ], dir);
  strictEqual(r.code, 1, show(r));
  ok(!r.stderr.includes("wrong-pw-123"), r.stderr);
  match(r.stderr, /password authentication failed/);
});

Deno.test("cleanup", async () => {
  await db.close();
});
