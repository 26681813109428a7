// pgimport --jobs N: N COPY streams into a staging table, renamed to the new table at the end;
// all or nothing, also when the process is killed mid-way.
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freshDatabase } from "../support/db.ts";
import {
  cli,
  failsWith,
  importSettings,
  REPO_DIR,
  show,
  tempDir,
  writeConnConfig,
} from "./_helpers.ts";

const db = await freshDatabase("parallel_import");
const dir = await tempDir("parallel");
const conn = await writeConnConfig(dir, db);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const imp = (file: string, table: string, ...extra: string[]) =>
  cli(["pgimport", "--import_file", file, "--table", table, "--connconfig", conn, ...extra], dir);

/** Writes `name.csv` with a header and `rows` rows (`row(i)` gives row i, 1-based) and its settings. */
async function csvFile(
  name: string,
  rows: number,
  row: (i: number) => string = (i) => `${i},name ${i},"note, ${i}"`,
): Promise<string> {
  const fh = await open(join(dir, `${name}.csv`), "w");
  const enc = new TextEncoder();
  let block = ["id,name,note"];
  for (let i = 1; i <= rows; i++) {
    block.push(row(i));
    if (block.length === 20_000) {
      await fh.write(enc.encode(block.join("\n") + "\n"));
      block = [];
    }
  }
  await fh.write(enc.encode(block.join("\n") + (block.length ? "\n" : "")));
  await fh.close();
  await writeFile(join(dir, `${name}.yaml`), importSettings());
  return `${name}.csv`;
}

async function exists(table: string): Promise<boolean> {
  const [{ e }] = await db.admin`SELECT to_regclass(${table}) IS NOT NULL AS e`;
  return e;
}

async function stagingTables(): Promise<string[]> {
  const rows = await db.admin<{ relname: string }[]>`
    SELECT relname FROM pg_class WHERE relname LIKE 'pgmonkey\\_import\\_%' ORDER BY relname`;
  return rows.map((r) => r.relname);
}

Deno.test("--jobs 3 imports every row once, the same table a single stream gives", async () => {
  const file = await csvFile("many", 100_000); // about 2.5 MB: dozens of blocks per stream
  const par = await imp(file, "t_par", "--jobs", "3");
  strictEqual(par.code, 0, show(par));
  match(
    par.stdout,
    /\(3 parallel streams into a staging table, renamed to public\.t_par at the end\)/,
  );
  match(par.stdout, /Row count after COPY: 100000\nRows imported: 100000\n/);
  const one = await imp(file, "t_one");
  strictEqual(one.code, 0, show(one));
  const [{ n, distinct, diff, sum }] = await db.admin`
    SELECT (SELECT count(*)::int FROM t_par) AS n,
           (SELECT count(DISTINCT id)::int FROM t_par) AS distinct,
           (SELECT count(*)::int FROM (SELECT * FROM t_par EXCEPT ALL SELECT * FROM t_one) x) AS diff,
           (SELECT sum(id::bigint)::text FROM t_par) AS sum`;
  deepStrictEqual({ n, distinct, diff, sum }, {
    n: 100_000,
    distinct: 100_000,
    diff: 0,
    sum: String(100_000 * 100_001 / 2),
  });
  deepStrictEqual(await stagingTables(), [], "no staging table left");
  const [{ comment }] = await db.admin`SELECT obj_description('t_par'::regclass) AS comment`;
  strictEqual(comment, null, "the staging comment went with the rename");
});

Deno.test("a malformed row late in the file: no table, no rows, no staging table", async () => {
  const file = await csvFile("badrow", 60_000, (i) => i === 55_000 ? `${i},short` : `${i},n,x`);
  failsWith(
    await imp(file, "t_badrow", "--jobs", "2"),
    /^pgmonkey: pgimport failed: badrow\.csv: line 55001: 2 fields, expected 3 as in the header row; nothing was imported and table public\.t_badrow was not created$/,
  );
  strictEqual(await exists("t_badrow"), false);
  deepStrictEqual(await stagingTables(), []);
});

Deno.test("a server error in one stream names the file line; every stream is rolled back", async () => {
  // Invalid UTF-8 in row 41,234: the server rejects it in whichever stream got that block.
  const name = "badbytes";
  await csvFile(name, 50_000, (i) => `${i},n,x`);
  const path = join(dir, `${name}.csv`);
  const text = await Deno.readFile(path);
  const marker = new TextEncoder().encode("\n41234,n,x\n");
  let at = -1;
  for (let i = 0; i + marker.length <= text.length && at < 0; i++) {
    if (marker.every((b, k) => text[i + k] === b)) at = i;
  }
  ok(at > 0);
  text[at + 1 + "41234,".length] = 0xff; // "n" → 0xff
  await Deno.writeFile(path, text);
  failsWith(
    await imp(`${name}.csv`, "t_badbytes", "--jobs", "3"),
    /^pgmonkey: pgimport failed: badbytes\.csv: line 41235: invalid byte sequence for encoding "UTF8": 0xff \(column name\); nothing was imported and table public\.t_badbytes was not created$/,
  );
  strictEqual(await exists("t_badbytes"), false);
  deepStrictEqual(await stagingTables(), []);
});

Deno.test("killed mid-way: the table never appears; the next parallel import drops the leftover", async () => {
  const file = await csvFile("killed", 1_000_000, (i) => `${i},n,x`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(REPO_DIR, "cli.ts"),
      "pgimport",
      "--import_file",
      file,
      "--table",
      "t_killed",
      "--connconfig",
      conn,
      "--jobs",
      "2",
    ],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Wait for the staging table (created before any row is sent), then kill -9.
  let staging: string[] = [];
  for (let i = 0; i < 3000 && staging.length === 0; i++) {
    staging = await stagingTables();
    if (staging.length === 0) await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGKILL");
  await child.status;
  strictEqual(staging.length, 1, "the import created its staging table");
  strictEqual(await exists("t_killed"), false, "the target does not exist");
  // The server notices the dead client; its sessions (and the advisory lock) end.
  for (let i = 0; i < 3000; i++) {
    const [{ n }] = await db.admin`
      SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`;
    if (n === 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  deepStrictEqual(await stagingTables(), staging, "left behind until the next import");
  const next = await imp(await csvFile("small", 10), "t_after_kill", "--jobs", "2");
  strictEqual(next.code, 0, show(next));
  deepStrictEqual(await stagingTables(), [], "the abandoned staging table was dropped");
  strictEqual(await exists("t_killed"), false);
});

Deno.test("a staging table still locked by a running import is left alone", async () => {
  const lock = await db.admin.reserve();
  try {
    await lock.unsafe(`
      CREATE TABLE pgmonkey_import_inprogress (a text);
      COMMENT ON TABLE pgmonkey_import_inprogress IS
        'pgmonkey pgimport staging table: dropped when its import ends';`);
    await lock.unsafe(`SELECT pg_advisory_lock(1885826411,
      ('pgmonkey_import_inprogress'::regclass::oid::bigint - 2147483648)::int4)`);
    // A table of the user that merely looks like one: no comment, never dropped.
    await lock.unsafe(`CREATE TABLE pgmonkey_import_users_own (a text)`);
    const r = await imp(await csvFile("small2", 10), "t_beside", "--jobs", "2");
    strictEqual(r.code, 0, show(r));
    deepStrictEqual(await stagingTables(), [
      "pgmonkey_import_inprogress",
      "pgmonkey_import_users_own",
    ]);
  } finally {
    lock.release();
  }
  await db.admin`DROP TABLE pgmonkey_import_inprogress, pgmonkey_import_users_own`;
});

Deno.test("jobs from the settings file; --jobs overrides it; bad values are usage errors", async () => {
  const file = await csvFile("fromsettings", 5_000);
  await writeFile(join(dir, "fromsettings.yaml"), importSettings() + "jobs: 2\n");
  const r = await imp(file, "t_fromsettings");
  strictEqual(r.code, 0, show(r));
  match(r.stdout, /\(2 parallel streams into a staging table/);
  const single = await imp(file, "t_flag_one", "--jobs", "1");
  strictEqual(single.code, 0, show(single));
  ok(!single.stdout.includes("parallel streams"), single.stdout);
  for (const bad of ["0", "65", "x", "1.5"]) {
    const u = await imp(file, "t_never", "--jobs", bad);
    strictEqual(u.code, 2, show(u));
    match(u.stderr, /pgmonkey pgimport: error: argument --jobs: must be an integer from 1 to 64/);
  }
  strictEqual(await exists("t_never"), false);
});

Deno.test("--jobs into an existing table: one stream, in one transaction, rows appended", async () => {
  await db.admin`CREATE TABLE t_existing (id text, name text, note text)`;
  await db.admin`INSERT INTO t_existing VALUES ('0', 'zero', '')`;
  const r = await imp(await csvFile("append", 3_000), "t_existing", "--jobs", "3");
  strictEqual(r.code, 0, show(r));
  match(r.stdout, /Table public\.t_existing exists: importing with one COPY stream/);
  match(r.stdout, /Row count after COPY: 3001\nRows imported: 3000\n/);
});

Deno.test("cleanup", async () => {
  await db.close();
});
