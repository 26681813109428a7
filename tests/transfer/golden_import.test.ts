// Every reference input (golden/importcfg and golden/live/imp) through the
// first run (settings file compared with the captured one) and the second
// run (rows in the table, or the one-line error of a malformed file), on the
// real server, in-process.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PGConnectionManager } from "../../src/connect/manager.ts";
import { runImport } from "../../src/transfer/importer.ts";
import { TransferError } from "../../src/transfer/errors.ts";
import { freshDatabase } from "../support/db.ts";
import { FIXTURES, tempDir, writeConnConfig } from "./_helpers.ts";

const db = await freshDatabase("golden_import");
const dir = await tempDir("golden");
const conn = await writeConnConfig(dir, db);
const manager = new PGConnectionManager();
const connect = () => manager.getDatabaseConnection(conn, "normal");
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

/** What the second run gives: rows of the table, or a failure message. */
type Outcome = { columns: string[]; rows: string[][] } | { error: RegExp };

const IMPORTCFG: Record<string, Outcome> = {
  "ascii.csv": {
    columns: ["id", "name", "city"],
    rows: [["1", "Alice", "Paris"], ["2", "Bob", "London"]],
  },
  "blanklead.csv": { columns: ["column_1", "column_2"], rows: [["id", "name"], ["1", "a"]] },
  "cp1252.csv": {
    columns: ["id", "quote"],
    rows: [["1", "\u201cHello\u201d \u2013 world"], ["2", "café €5"]],
  },
  "data": { columns: ["x", "y"], rows: [["1", "2"]] },
  "empty.csv": {
    error:
      /\/empty\.csv: The CSV file does not contain any non-empty rows, so table public\.t_importcfg_empty cannot be created$/,
  },
  "latin1.csv": {
    columns: ["id", "name", "city"],
    rows: [["1", "José", "Zürich"], ["2", "Renée", "Málaga"], ["3", "François", "Besançon"]],
  },
  "noheader.csv": {
    columns: ["column_1", "column_2", "column_3"],
    rows: [["1", "Alice", "10"], ["2", "Bob", "20"], ["3", "Carol", "30"]],
  },
  "oneline.csv": { columns: ["id", "name"], rows: [] },
  "pipe.csv": { columns: ["a", "b", "c"], rows: [["1", "2", "3"], ["4", "5", "6"]] },
  "quoted.csv": {
    columns: ["id", "name__full", "note"],
    rows: [["1", "Smith, John", "x"], ["2", "Doe, Jane", "y"]],
  },
  "semicolon.csv": {
    columns: ["id", "name", "amount"],
    rows: [["1", "Alice", "3.5"], ["2", "Bob", "4"]],
  },
  "single.csv": { columns: ["name"], rows: [["Alice"], ["Bob"]] },
  "tab.tsv": { columns: ["id", "name"], rows: [["1", "Alice"], ["2", "Bob"]] },
  // The BOM is not part of the data (pgmonkey (Python) imported "\ufeffid").
  "utf16.csv": { columns: ["column_1", "column_2"], rows: [["id", "name"], ["1", "José"]] },
  "utf8.csv": {
    columns: ["id", "name", "city"],
    rows: [["1", "José", "Zürich"], ["2", "Renée", "Málaga"], ["3", "François", "Besançon"]],
  },
  "utf8bom.csv": { columns: ["column_1", "column_2"], rows: [["id", "name"], ["1", "José"]] },
};

const IMP: Record<string, Outcome> = {
  "ascii.csv": IMPORTCFG["ascii.csv"],
  "badcol.csv": { error: /\/badcol\.csv: Invalid column name '1st' \(from the header '1st'\)/ },
  "blanklead.csv": IMPORTCFG["blanklead.csv"],
  // Hand-edited settings (enforce_lowercase: false): the header names are kept.
  "dup.csv": { columns: ["Name", "name"], rows: [["1", "2"]] },
  // pgmonkey (Python) padded the short row; we refuse it.
  "emptycol.csv": {
    error:
      /\/emptycol\.csv: line 4: 3 fields, expected 4 as in the header row; nothing was imported and table public\.t_imp_emptycol was not created$/,
  },
  "noheader.csv": IMPORTCFG["noheader.csv"],
  "oneline.csv": IMPORTCFG["oneline.csv"],
  "quoted.csv": IMPORTCFG["quoted.csv"],
  // pgmonkey (Python) padded and truncated rows; we refuse the file.
  "ragged.csv": {
    error:
      /\/ragged\.csv: line 3: 2 fields, expected 4 as in the first row; nothing was imported and table public\.t_imp_ragged was not created$/,
  },
  "semicolon.csv": IMPORTCFG["semicolon.csv"],
  "single.csv": IMPORTCFG["single.csv"],
  "utf16.csv": IMPORTCFG["utf16.csv"],
  // Hand-edited settings: auto_create_table: false.
  "utf8.csv": {
    error:
      /^Table public\.t_imp_utf8 does not exist and auto_create_table is disabled in the import configuration\.$/,
  },
};

/** Settings files edited by hand for the live transcript: used as captured for the second run. */
const HAND_EDITED = new Set(["imp/dup", "imp/emptycol", "imp/utf8"]);

async function tableContent(table: string): Promise<{ columns: string[]; rows: string[][] }> {
  const cols = await db.admin<{ attname: string }[]>`
    SELECT attname FROM pg_attribute WHERE attrelid = ${`public.${table}`}::regclass
    AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;
  const columns = cols.map((c) => c.attname);
  const rows = await db.admin.unsafe(`SELECT * FROM public."${table}"`);
  return { columns, rows: sorted(rows.map((r) => columns.map((c) => r[c] as string))) };
}

function sorted(rows: string[][]): string[][] {
  return [...rows].sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
}

for (const [set, cases] of [["importcfg", IMPORTCFG], ["imp", IMP]] as const) {
  for (const [file, outcome] of Object.entries(cases)) {
    Deno.test(`${set}/${file}: first run writes the captured settings, second run imports`, async () => {
      const work = join(dir, set);
      await Deno.mkdir(work, { recursive: true });
      const base = file.replace(/\.[^.]*$/, "");
      const data = join(work, file);
      const settings = join(work, `${base}.yaml`);
      await copyFile(join(FIXTURES, set, file), data);
      const printed: string[] = [];
      const first = await runImport({
        importFile: data,
        table: `t_${set}_${base}`,
        connect,
        print: (l) => printed.push(l),
      });
      strictEqual(first.kind, "settings-created");
      const golden = await readFile(join(FIXTURES, set, `${base}.yaml.golden`), "utf8");
      const ours = await readFile(settings, "utf8");
      if (HAND_EDITED.has(`${set}/${base}`)) {
        await copyFile(join(FIXTURES, set, `${base}.yaml.golden`), settings);
      } else {
        strictEqual(ours, golden, `settings file of ${file}`);
      }
      ok(printed[0].startsWith(`Import config file '${settings}' not found.`));

      const second = runImport({
        importFile: data,
        table: `t_${set}_${base}`,
        connect,
        print: () => {},
      });
      if ("error" in outcome) {
        await rejects(second, (e) => e instanceof TransferError && outcome.error.test(e.message));
        const [{ exists }] = await db.admin`
          SELECT to_regclass(${`public.t_${set}_${base}`}) IS NOT NULL AS exists`;
        strictEqual(exists, false, "no table is left behind");
      } else {
        const result = await second;
        deepStrictEqual(result, {
          kind: "imported",
          rows: outcome.rows.length,
          tableRows: outcome.rows.length,
          created: true,
        });
        deepStrictEqual(await tableContent(`t_${set}_${base}`), {
          columns: outcome.columns,
          rows: sorted(outcome.rows),
        });
      }
    });
  }
}

Deno.test("imp: importing into an existing table appends; other headers are refused with the difference", async () => {
  const work = join(dir, "imp");
  for (const f of ["ascii_mismatch.csv", "ascii_mismatch.yaml.golden"]) {
    await copyFile(join(FIXTURES, "imp", f), join(work, f.replace(".golden", "")));
  }
  const result = await runImport({
    importFile: join(work, "ascii.csv"),
    table: "t_imp_ascii",
    connect,
    print: () => {},
  });
  deepStrictEqual(result, { kind: "imported", rows: 2, tableRows: 4, created: false });
  await rejects(
    runImport({
      importFile: join(work, "ascii_mismatch.csv"),
      table: "t_imp_ascii",
      connect,
      print: () => {},
    }),
    (e) =>
      e instanceof TransferError &&
      e.message ===
        "CSV headers do not match the existing table columns of public.t_imp_ascii: column 2 is 'name' in the table but 'fullname' in the file",
  );
  const [{ count }] = await db.admin`SELECT count(*)::int AS count FROM t_imp_ascii`;
  strictEqual(count, 4);
});

Deno.test("importcfg/utf8_long.csv (no captured settings file): detected, then imported", async () => {
  const data = join(dir, "importcfg", "utf8_long.csv");
  await copyFile(join(FIXTURES, "importcfg", "utf8_long.csv"), data);
  await runImport({ importFile: data, table: "t_long", connect, print: () => {} });
  const settings = await readFile(join(dir, "importcfg", "utf8_long.yaml"), "utf8");
  ok(settings.startsWith(
    "auto_create_table: true\ndelimiter: ','\nencoding: utf-8\nenforce_lowercase: true\n" +
      "has_headers: false\nquotechar: '\"'\n",
  ));
  const lines = (await readFile(data, "utf8")).split("\n").filter((l) => l !== "").length;
  const result = await runImport({ importFile: data, table: "t_long", connect, print: () => {} });
  deepStrictEqual(result, { kind: "imported", rows: lines, tableRows: lines, created: true });
});

Deno.test("cleanup", async () => {
  await manager.clearCache();
  await db.close();
});
