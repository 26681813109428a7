/**
 * `pgimport`: a CSV/text file into a table.
 *
 * First run (no settings file beside the data file): detect encoding,
 * delimiter and header row, write the settings file as pgmonkey (Python)
 * does, and stop. Later runs: read the header, create the table (TEXT
 * columns) or check that the existing one has the same columns, and stream
 * the file through `COPY … FROM STDIN` — table creation and COPY in one
 * transaction, so a bad row anywhere leaves the table exactly as it was.
 *
 * @module
 */
import { stat, writeFile } from "node:fs/promises";
import type { PGConnection, ReservedSql } from "../connect/handle.ts";
import { pyRepr } from "../config/pystr.ts";
import { findCodec } from "./codecs.ts";
import {
  columnsFromHeader,
  describeColumnMismatch,
  generatedColumns,
  type ImportColumns,
  pyList,
} from "./columns.ts";
import { type ConverterPlan, copyEncoding, createConverter } from "./converters.ts";
import { copyIn } from "./copy_stream.ts";
import { type DetectedSettings, detectImportSettings } from "./detect_settings.ts";
import { otherDelimiterWarning } from "./delimiter_check.ts";
import { fsReason, pathExists, TransferError } from "./errors.ts";
import { fileChunks } from "./file_chunks.ts";
import { columnStructure, readFirstDataRow, readTextStart } from "./header.ts";
import { checkTableName, type TableName, withSuffix } from "./paths.ts";
import { Progress, type ProgressOutput } from "./progress.ts";
import { formatImportSettings, type ImportSettings, readImportSettings } from "./settings.ts";
import { qualifiedName, quoteIdent, quoteLiteral } from "./sql.ts";

/** Input bytes converted per COPY data block. */
const SEND_BYTES = 32 << 10;

/** Options of {@link runImport}. */
export interface ImportOptions {
  /** The data file. */
  readonly importFile: string;
  /** `[schema.]table`. */
  readonly table: string;
  /** Settings file (default: the data file with the suffix `.yaml`). */
  readonly settingsFile?: string;
  /** Opens the database connection (called only when the data is imported). */
  readonly connect: () => Promise<PGConnection>;
  /** Prints one line of the report (no newline). */
  readonly print: (line: string) => void;
  /** Receives one warning line (no newline; default: `print`). */
  readonly warn?: (line: string) => void;
  /** Where the progress line goes (a terminal); none: no progress. */
  readonly progress?: ProgressOutput;
}

/** What {@link runImport} did. */
export type ImportResult =
  | {
    /** The settings file was written; nothing was imported. */
    readonly kind: "settings-created";
    /** Path of the new settings file. */
    readonly settingsFile: string;
    /** What was detected. */
    readonly detected: DetectedSettings;
  }
  | {
    /** The data was imported. */
    readonly kind: "imported";
    /** Rows imported. */
    readonly rows: number;
    /** Rows in the table afterwards. */
    readonly tableRows: number;
    /** Whether the table was created. */
    readonly created: boolean;
  };

/** The settings file pgimport uses for `importFile`. */
export function importSettingsPath(importFile: string): string {
  return withSuffix(importFile, ".yaml");
}

/** First run: detect, write the settings file, report. */
async function createSettings(
  importFile: string,
  settingsFile: string,
  print: (line: string) => void,
): Promise<ImportResult> {
  print(
    `Import config file '${settingsFile}' not found. Creating it using advanced encoding detection.`,
  );
  const detected = await detectImportSettings(importFile);
  for (const line of detected.lines) print(line);
  print(
    `Detected delimiter: ${pyRepr(detected.delimiter)}, has_headers: ${detected.hasHeaders}`,
  );
  try {
    await writeFile(settingsFile, formatImportSettings(detected), { flag: "wx" });
  } catch (e) {
    throw new TransferError(
      `cannot create the settings file ${settingsFile}: ${fsReason(e)}`,
      { cause: e },
    );
  }
  print(`Import configuration file '${settingsFile}' has been created.`);
  print(
    "Please review the file and adjust settings if necessary before running the import " +
      "process again.",
  );
  return { kind: "settings-created", settingsFile, detected };
}

/** `COPY "s"."t" ("a", "b") FROM STDIN WITH (ENCODING 'UTF8')`. */
export function copyFromStatement(
  table: TableName,
  columns: readonly string[],
  encoding: string,
): string {
  return `COPY ${qualifiedName(table)} (${columns.map(quoteIdent).join(", ")}) FROM STDIN ` +
    `WITH (ENCODING ${quoteLiteral(encoding)})`;
}

/** The columns of an existing table (or `undefined` when there is no such table). */
async function tableColumns(sql: ReservedSql, table: TableName): Promise<string[] | undefined> {
  const name = qualifiedName(table);
  const [{ oid }] = await sql<{ oid: number | null }[]>`SELECT to_regclass(${name})::oid AS oid`;
  if (oid === null) return undefined;
  const rows = await sql<{ attname: string }[]>`
    SELECT attname FROM pg_attribute
    WHERE attrelid = ${oid} AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;
  return rows.map((r) => r.attname);
}

/** `COPY t, line 12, column a: "x"` → line 12, column `a`. */
function copyErrorPosition(where: unknown): { line: number; column?: string } | undefined {
  if (typeof where !== "string") return undefined;
  const m = /COPY .*?, line (\d+)(?:, column (.+?)(?:: |$))?/s.exec(where.split("\n")[0]);
  return m ? { line: Number(m[1]), column: m[2] } : undefined;
}

/** The file line where output row `row` (1-based) starts: converts the file again up to it. */
async function lineOfRow(plan: ConverterPlan, row: number): Promise<number | undefined> {
  const converter = createConverter({ ...plan, stopAtRow: row });
  try {
    for await (const chunk of fileChunks(plan.file)) {
      converter.push(chunk);
      converter.takeOutput();
      if (converter.foundLine) return converter.foundLine;
    }
    converter.finish();
    return converter.foundLine || undefined;
  } catch {
    return undefined;
  }
}

/** Streams the file through the converter into COPY; returns the rows sent. */
async function streamFile(
  sqlConn: ReservedSql,
  statement: string,
  plan: ConverterPlan,
  progress: Progress | undefined,
): Promise<number> {
  const converter = createConverter(plan);
  const copy = await copyIn(sqlConn, statement);
  let pending: Promise<void> = Promise.resolve();
  let bytes = 0;
  try {
    // Converting the next slice overlaps with sending the previous block.
    // Blocks are kept small: every block sent becomes a short-lived copy
    // inside postgres.js, and small ones are collected sooner (lower peak RSS).
    for await (const chunk of fileChunks(plan.file)) {
      for (let at = 0; at < chunk.length; at += SEND_BYTES) {
        const slice = chunk.subarray(at, at + SEND_BYTES);
        bytes += slice.length;
        converter.push(slice);
        await pending;
        const out = converter.takeOutput();
        if (out.length) {
          pending = copy.write(out);
          pending.catch(() => {}); // awaited in the next round
        }
      }
      progress?.update(converter.rows, bytes);
    }
    converter.finish();
    await pending;
    const out = converter.takeOutput();
    if (out.length) await copy.write(out);
    const copied = await copy.end();
    if (copied !== undefined && copied !== converter.rows) {
      throw new TransferError(
        `the server copied ${copied} rows, but ${converter.rows} were sent; nothing was imported`,
      );
    }
  } catch (e) {
    await pending.catch(() => {});
    await copy.abort(e instanceof Error ? e : new Error(String(e)));
    throw e;
  } finally {
    progress?.done();
  }
  return converter.rows;
}

/** The import proper (settings file present). */
async function importData(
  options: ImportOptions,
  settingsFile: string,
): Promise<ImportResult> {
  const { importFile, print } = options;
  const settings: ImportSettings = await readImportSettings(settingsFile);
  const codec = findCodec(settings.encoding);
  if (!codec) {
    throw new TransferError(
      `${settingsFile}: encoding ${pyRepr(settings.encoding)} is not supported; convert the ` +
        "file to UTF-8 (for example with iconv) and set encoding: utf-8",
    );
  }
  const table = checkTableName(options.table);
  const { delimiter, quotechar } = settings;

  const structure = columnStructure(await readTextStart(importFile, codec), delimiter);
  const single = structure.every((n) => n === 1);
  print(
    `Detected column structure: [${structure.join(", ")}]. Single-column file? ${
      single ? "True" : "False"
    }`,
  );
  if (single) print("Single-column CSV detected.");
  print(`Using delimiter: ${pyRepr(delimiter)}`);

  const first = await readFirstDataRow(importFile, codec, { delimiter, quotechar });
  const suspicious = first && otherDelimiterWarning(first.fields, delimiter, settingsFile);
  if (suspicious) (options.warn ?? print)(suspicious);
  let columns: ImportColumns | undefined;
  if (first && settings.hasHeaders) {
    columns = columnsFromHeader(first.fields, settings.enforceLowercase, importFile);
    print(`Final Headers (after removing empty columns): ${pyList(columns.names)}`);
    print("\nCSV Headers after removing any empty columns (Original):");
    print(pyList(first.fields));
    print("\nFormatted Headers for DB:");
    print(pyList(columns.names));
  } else if (first) {
    columns = generatedColumns(first.fields.length);
  }

  const where = `${table.schema}.${table.table}`;
  print(`\nStarting import for file: ${importFile} into table: ${where}`);
  const db = await options.connect();
  const conn = await db.acquire();
  let created = false;
  let plan: ConverterPlan | undefined;
  try {
    await conn.sql.unsafe("BEGIN");
    const existing = await tableColumns(conn.sql, table);
    if (!columns) {
      if (!existing) {
        throw new TransferError(
          `${importFile}: The CSV file does not contain any non-empty rows, so table ${where} ` +
            "cannot be created",
        );
      }
      const tableRows = await countRows(conn.sql, table);
      await conn.sql.unsafe("COMMIT");
      print(`\nThe file has no rows: nothing to import into ${where}.`);
      return { kind: "imported", rows: 0, tableRows, created };
    }
    if (!existing) {
      if (!settings.autoCreateTable) {
        throw new TransferError(
          `Table ${where} does not exist and auto_create_table is disabled in the import ` +
            "configuration.",
        );
      }
      await conn.sql.unsafe(
        `CREATE TABLE ${qualifiedName(table)} (${
          columns.names.map((c) => `${quoteIdent(c)} TEXT`).join(", ")
        })`,
      );
      created = true;
      print(`\nTable ${where} created successfully.`);
    } else {
      const mismatch = describeColumnMismatch(existing, columns.names);
      if (mismatch) {
        throw new TransferError(
          `CSV headers do not match the existing table columns of ${where}: ${mismatch}`,
        );
      }
    }
    plan = {
      codec,
      delimiter,
      quotechar,
      fields: columns.fields,
      keep: columns.keep,
      skipHeader: settings.hasHeaders,
      countFromHeader: settings.hasHeaders,
      file: importFile,
    };
    const statement = copyFromStatement(table, columns.names, copyEncoding(plan));
    print(`Executing COPY command: ${statement}`);
    const size = (await stat(importFile)).size;
    const progress = options.progress
      ? new Progress("Importing data", options.progress, { totalBytes: size })
      : undefined;
    const rows = await streamFile(conn.sql, statement, plan, progress);
    // A table created here holds exactly the rows sent: no need to count them.
    const count = created ? rows : await countRows(conn.sql, table);
    await conn.sql.unsafe("COMMIT");
    print(`\nRow count after COPY: ${count}`);
    print(`Rows imported: ${rows}`);
    print(`\nData from ${importFile} copied to ${where}.`);
    return { kind: "imported", rows, tableRows: count, created };
  } catch (e) {
    await conn.sql.unsafe("ROLLBACK").catch(() => {});
    throw await explain(e, plan, where, created);
  } finally {
    conn.release();
  }
}

async function countRows(sql: ReservedSql, table: TableName): Promise<number> {
  const [{ count }] = await sql.unsafe<{ count: string }[]>(
    `SELECT count(*) AS count FROM ${qualifiedName(table)}`,
  );
  return Number(count);
}

/** The error to report for a failed import: one line, with the file line and what is left. */
async function explain(
  e: unknown,
  plan: ConverterPlan | undefined,
  where: string,
  created: boolean,
): Promise<unknown> {
  const outcome = created
    ? `nothing was imported and table ${where} was not created`
    : `nothing was imported, table ${where} is unchanged`;
  if (e instanceof TransferError) {
    return plan ? new TransferError(`${e.message}; ${outcome}`, { cause: e }) : e;
  }
  const pg = e as { message?: string; where?: unknown; code?: unknown; name?: string };
  if (plan && typeof pg?.message === "string" && typeof pg.code === "string") {
    const position = copyErrorPosition(pg.where);
    if (position) {
      const line = await lineOfRow(plan, position.line);
      const column = position.column ? ` (column ${position.column})` : "";
      const at = line ? `line ${line}` : `data row ${position.line}`;
      return new TransferError(`${plan.file}: ${at}: ${pg.message}${column}; ${outcome}`, {
        cause: e,
      });
    }
    return new TransferError(`${pg.message}; ${outcome}`, { cause: e });
  }
  return e;
}

/**
 * Runs pgimport: creates the settings file on the first run (and returns
 * `settings-created`), else imports the file into the table.
 *
 * @example
 * ```ts ignore
 * import { PGConnectionManager } from "../connect/manager.ts";
 * import { runImport } from "./importer.ts";
 * const manager = new PGConnectionManager();
 * const result = await runImport({
 *   importFile: "users.csv",
 *   table: "public.users",
 *   connect: () => manager.getDatabaseConnection("pg.yaml", "normal"),
 *   print: (line) => console.log(line),
 * });
 * ```
 */
export async function runImport(options: ImportOptions): Promise<ImportResult> {
  const settingsFile = options.settingsFile ?? importSettingsPath(options.importFile);
  if (!(await pathExists(settingsFile))) {
    return await createSettings(options.importFile, settingsFile, options.print);
  }
  return await importData(options, settingsFile);
}
