// pgexport as a user runs it: the CLI in a subprocess against the real server.
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freshDatabase } from "../support/db.ts";
import { cli, FIXTURES, show, tempDir, writeConnConfig } from "./_helpers.ts";

const db = await freshDatabase("export_cli");
const dir = await tempDir("export");
const conn = await writeConnConfig(dir, db);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

// The table of the reference transcript.
await db.admin.unsafe(`
  CREATE TABLE exp_t (id int, name text, note text, n numeric);
  INSERT INTO exp_t VALUES (1, 'Alice', 'has, comma', 1.5), (2, 'Bob', NULL, NULL),
    (3, '', E'multi\\nline', 0), (4, 'Zoë', 'quote"d', -2), (5, 'tab', E'a\\tb', NULL);
  CREATE SCHEMA s1;
  CREATE TABLE s1."Weird Name" (x text);
  INSERT INTO s1."Weird Name" VALUES ('x'), ('é');`);

const exp = (cwd: string, ...args: string[]) =>
  cli(["pgexport", "--connconfig", conn, ...args], cwd);

function failsWith(r: { code: number; stderr: string }, pattern: RegExp): void {
  strictEqual(r.code, 1, show(r as never));
  const lines = r.stderr.trimEnd().split("\n");
  strictEqual(lines.length, 1, r.stderr);
  match(lines[0], pattern);
}

Deno.test("first run writes pgmonkey's settings file; default file name drops the schema", async () => {
  const work = join(dir, "first");
  await mkdir(work);
  const r = await exp(work, "--table", "public.exp_t");
  strictEqual(r.code, 0, show(r));
  deepStrictEqual(r.stdout.split("\n"), [
    "Export config file 'exp_t.yaml' not found. Creating it with auto-detected settings.",
    "Export configuration file 'exp_t.yaml' has been created.",
    "Please review the file and adjust settings if necessary before running the export process again.",
    "",
  ]);
  strictEqual(
    await readFile(join(work, "exp_t.yaml"), "utf8"),
    await readFile(join(FIXTURES, "exp", "exp_t.yaml.golden"), "utf8"),
  );
  deepStrictEqual(await readdir(work), ["exp_t.yaml"]);
  const second = await exp(work, "--table", "public.exp_t");
  strictEqual(second.code, 0, show(second));
  strictEqual(second.stderr, "");
  match(
    second.stdout,
    /\nData from public\.exp_t exported to exp_t\.csv\.\nRows exported: 5\nExport complete\.\n$/,
  );
  // Byte for byte what pgmonkey (Python) wrote (PostgreSQL's CSV).
  deepStrictEqual(
    await readFile(join(work, "exp_t.csv")),
    await readFile(join(FIXTURES, "exp", "exp_t.csv")),
  );
  deepStrictEqual((await readdir(work)).sort(), ["exp_t.csv", "exp_t.yaml"]);
});

Deno.test("settings from the reference: tab delimiter written as '\\t', latin1", async () => {
  const work = join(dir, "tabbed");
  await mkdir(work);
  await writeFile(
    join(work, "tabbed.yaml"),
    await readFile(join(FIXTURES, "exp", "tabbed.yaml.golden")),
  );
  const r = await exp(work, "--table", "exp_t", "--export_file", "tabbed.csv");
  strictEqual(r.code, 0, show(r));
  deepStrictEqual(
    await readFile(join(work, "tabbed.csv")),
    await readFile(join(FIXTURES, "exp", "tabbed.csv")),
  );
});

Deno.test("quotechar is honoured; the settings directory is created", async () => {
  const work = join(dir, "quote");
  await mkdir(work);
  const first = await exp(work, "--table", "s1.Weird Name", "--export_file", "out/weird.csv");
  strictEqual(first.code, 0, show(first));
  await writeFile(
    join(work, "out", "weird.yaml"),
    'delimiter: ;\nencoding: utf-8\nquotechar: "\'"\n',
  );
  await db.admin`INSERT INTO s1."Weird Name" VALUES ('it''s; here')`;
  const r = await exp(work, "--table", "s1.Weird Name", "--export_file", "out/weird.csv");
  strictEqual(r.code, 0, show(r));
  strictEqual(await readFile(join(work, "out", "weird.csv"), "utf8"), "x\nx\né\n'it''s; here'\n");
  await db.admin`DELETE FROM s1."Weird Name" WHERE x LIKE 'it%'`;
});

Deno.test("UTF-16 and utf-8-sig exports carry the BOM Python writes", async () => {
  const work = join(dir, "utf16");
  await mkdir(work);
  await writeFile(join(work, "w16.yaml"), "delimiter: ','\nencoding: utf-16\nquotechar: '\"'\n");
  const r = await exp(work, "--table", "s1.Weird Name", "--export_file", "w16.csv");
  strictEqual(r.code, 0, show(r));
  deepStrictEqual(
    [...await readFile(join(work, "w16.csv"))],
    [0xff, 0xfe, ...[..."x\nx\né\n"].flatMap((c) => [c.charCodeAt(0), 0])],
  );
  await writeFile(join(work, "sig.yaml"), "delimiter: ','\nencoding: utf-8-sig\nquotechar: '\"'\n");
  strictEqual((await exp(work, "--table", "s1.Weird Name", "--export_file", "sig.csv")).code, 0);
  deepStrictEqual([...(await readFile(join(work, "sig.csv"))).subarray(0, 4)], [
    0xef,
    0xbb,
    0xbf,
    0x78,
  ]);
  await writeFile(join(work, "asc.yaml"), "delimiter: ','\nencoding: ascii\nquotechar: '\"'\n");
  failsWith(
    await exp(work, "--table", "s1.Weird Name", "--export_file", "asc.csv"),
    /^pgmonkey: pgexport failed: cannot export s1\.Weird Name: row 2: the data has characters that ascii cannot encode; use encoding: utf-8; asc\.csv was not written$/,
  );
  ok(!(await readdir(work)).includes("asc.csv"));
});

Deno.test("a wrong table name: clear error, no file, an existing file untouched", async () => {
  const work = join(dir, "wrong");
  await mkdir(work);
  await writeFile(join(work, "keep.yaml"), "delimiter: ','\nencoding: utf-8\nquotechar: '\"'\n");
  failsWith(
    await exp(work, "--table", "nosuch", "--export_file", "keep.csv"),
    /^pgmonkey: pgexport failed: cannot export public\.nosuch: relation "public\.nosuch" does not exist; keep\.csv was not written$/,
  );
  deepStrictEqual(await readdir(work), ["keep.yaml"]);
  await writeFile(join(work, "keep.csv"), "precious\n");
  failsWith(
    await exp(work, "--table", "nosuch", "--export_file", "keep.csv"),
    /; keep\.csv is unchanged$/,
  );
  strictEqual(await readFile(join(work, "keep.csv"), "utf8"), "precious\n");
  deepStrictEqual((await readdir(work)).sort(), ["keep.csv", "keep.yaml"]);
});

Deno.test("an unwritable path: clear error, no file", async () => {
  const work = join(dir, "unwritable");
  await mkdir(work);
  await writeFile(join(work, "afile"), "not a directory\n");
  // The settings file cannot be created under a regular file.
  failsWith(
    await exp(work, "--table", "exp_t", "--export_file", "afile/out.csv"),
    /^pgmonkey: pgexport failed: cannot create the settings file afile\/out\.yaml: /,
  );
  // The CSV path is a directory: nothing is written, the directory is untouched.
  await mkdir(join(work, "isdir.csv"));
  await writeFile(join(work, "isdir.yaml"), "delimiter: ','\nencoding: utf-8\nquotechar: '\"'\n");
  failsWith(
    await exp(work, "--table", "exp_t", "--export_file", "isdir.csv"),
    /^pgmonkey: pgexport failed: cannot write isdir\.csv: Is a directory$/,
  );
  deepStrictEqual((await readdir(work)).sort(), ["afile", "isdir.csv", "isdir.yaml"]);
  deepStrictEqual(await readdir(join(work, "isdir.csv")), []);
  // A settings file whose directory vanished: the CSV cannot be created there.
  failsWith(
    await exp(work, "--table", "exp_t", "--export_file", "/proc/pgmonkey-no/out.csv"),
    /^pgmonkey: pgexport failed: cannot create the settings file \/proc\/pgmonkey-no\/out\.yaml: /,
  );
});

Deno.test("unsupported export encoding and a missing connection config fail with exit status 1", async () => {
  const work = join(dir, "bad");
  await mkdir(work);
  await writeFile(join(work, "m.yaml"), "delimiter: ','\nencoding: MacRoman\nquotechar: '\"'\n");
  failsWith(
    await exp(work, "--table", "exp_t", "--export_file", "m.csv"),
    /^pgmonkey: pgexport failed: m\.yaml: encoding 'MacRoman' is not supported for export/,
  );
  failsWith(
    await cli(["pgexport", "--table", "exp_t", "--connconfig", "nope.yaml"], work),
    /^pgmonkey: pgexport failed: Connection config file not found: nope\.yaml$/,
  );
  deepStrictEqual(await readdir(work), ["m.yaml"]);
});

Deno.test("first run without a working connection: exit 1 and no settings file", async () => {
  const work = join(dir, "noconn");
  await mkdir(work);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const dead = join(work, "dead.yaml");
  await writeFile(
    dead,
    JSON.stringify({ connection_settings: { ...db.settings, port, connect_timeout: 2 } }),
    { mode: 0o600 },
  );
  const r = await cli(["pgexport", "--table", "exp_t", "--connconfig", dead], work);
  failsWith(
    r,
    /^pgmonkey: pgexport failed: could not connect to .*127\.0\.0\.1:\d+.*: connection refused$/,
  );
  deepStrictEqual(await readdir(work), ["dead.yaml"]);
});

Deno.test("cleanup", async () => {
  await db.close();
});
