/**
 * `pgimport`: a CSV/text file into a table.
 *
 * First run (no settings file beside the data file): detect encoding,
 * delimiter and header row, write the settings file as pgmonkey (Python)
 * does, and stop. Later runs: read the header, create the table (TEXT
 * columns) or check that the existing one has the same columns, and stream
 * the file through `COPY … FROM STDIN` — table creation and COPY in one
 * transaction, so a bad row anywhere leaves the table exactly as it was.
 * Rows go to TEXT columns as COPY binary tuples (the cheapest format for the
 * server) when the data is UTF-8, else as COPY text with its encoding. With
 * `jobs` > 1 a new table is filled by that many COPY streams at once (see
 * `parallel_import.ts`). Connecting overlaps with reading the file's start.
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
import { binaryCapable, type ConverterPlan, createConverter } from "./converters.ts";
import { CopySink } from "./copy_sink.ts";
import { copyFromStatement } from "./copy_statement.ts";
import type { DetectedSettings } from "./detect_settings.ts";
import { otherDelimiterWarning } from "./delimiter_check.ts";
import { fsReason, pathExists, TransferError } from "./errors.ts";
import { fileChunks } from "./file_chunks.ts";
import { columnStructure, readFirstDataRow, readTextStart } from "./header.ts";
import { checkTableName, type TableName, withSuffix } from "./paths.ts";
import { importParallel } from "./parallel_import.ts";
import { Progress, type ProgressOutput } from "./progress.ts";
import { CopyRowError, pumpFile } from "./pump.ts";
import { formatImportSettings, type ImportSettings, readImportSettings } from "./settings.ts";
import { qualifiedName, quoteIdent } from "./sql.ts";

/** Options of {@link runImport}. */
export interface ImportOptions {
  /** The data file. */
  readonly importFile: string;
  /** `[schema.]table`. */
  readonly table: string;
  /** Settings file (default: the data file with the suffix `.yaml`). */
  readonly settingsFile?: string;
  /**
   * Opens the database connection (called only when the data is imported).
   * With `connections` > 1 the handle should lend that many connections at
   * once (a pool); a handle that lends fewer gets as many streams as it can.
   */
  readonly connect: (request?: ConnectRequest) => Promise<PGConnection>;
  /** Parallel COPY streams for a new table (default: the settings file's `jobs`, else 1). */
  readonly jobs?: number;
  /** Prints one line of the report (no newline). */
  readonly print: (line: string) => void;
  /** Receives one warning line (no newline; default: `print`). */
  readonly warn?: (line: string) => void;
  /** Where the progress line goes (a terminal); none: no progress. */
  readonly progress?: ProgressOutput;
}

/** What {@link ImportOptions.connect} is asked for. */
export interface ConnectRequest {
  /** Connections wanted at once. */
  readonly connections: number;
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
  // Detection (and its chardet dependency) is loaded only for a first run.
  const { detectImportSettings } = await import("./detect_settings.ts");
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

/** OIDs of `text` and `varchar`: columns that take COPY binary TEXT values. */
const TEXT_TYPES = new Set([25, 1043]);

/** What the import needs to know about the target before it starts. */
interface TargetInfo {
  /** The columns of the existing table, or `undefined` when there is no such table. */
  readonly columns?: string[];
  /** Whether every column is `text`/`varchar` (binary COPY possible). */
  readonly allText: boolean;
  /** Whether the session's client encoding is UTF-8 (binary COPY TEXT values are read in it). */
  readonly utf8Client: boolean;
}

async function targetInfo(sql: ReservedSql, table: TableName): Promise<TargetInfo> {
  const name = qualifiedName(table);
  const [{ oid, encoding }] = await sql<{ oid: number | null; encoding: string }[]>`
    SELECT to_regclass(${name})::oid AS oid, current_setting('client_encoding') AS encoding`;
  const utf8Client = /^utf-?8$/i.test(encoding);
  if (oid === null) return { allText: true, utf8Client };
  const rows = await sql<{ attname: string; atttypid: number }[]>`
    SELECT attname, atttypid::int AS atttypid FROM pg_attribute
    WHERE attrelid = ${oid} AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;
  return {
    columns: rows.map((r) => r.attname),
    allText: rows.every((r) => TEXT_TYPES.has(r.atttypid)),
    utf8Client,
  };
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
  const jobs = options.jobs ?? settings.jobs;
  // Connecting (network round trips) overlaps with reading the start of the file.
  const connecting = options.connect(jobs > 1 ? { connections: jobs } : undefined);
  connecting.catch(() => {}); // awaited below; an earlier failure of ours wins
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
  const db = await connecting;
  const conn = await db.acquire();
  let created = false;
  let plan: ConverterPlan | undefined;
  let released = false;
  let existed = true;
  try {
    await conn.sql.unsafe("BEGIN");
    const target = await targetInfo(conn.sql, table);
    const existing = target.columns;
    existed = existing !== undefined;
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
    } else {
      const mismatch = describeColumnMismatch(existing, columns.names);
      if (mismatch) {
        throw new TransferError(
          `CSV headers do not match the existing table columns of ${where}: ${mismatch}`,
        );
      }
    }
    const textPlan: ConverterPlan = {
      codec,
      delimiter,
      quotechar,
      fields: columns.fields,
      keep: columns.keep,
      skipHeader: settings.hasHeaders,
      countFromHeader: settings.hasHeaders,
      file: importFile,
    };
    plan = {
      ...textPlan,
      binary: target.allText && target.utf8Client && binaryCapable(textPlan),
    };
    const size = (await stat(importFile)).size;
    const progress = options.progress
      ? new Progress("Importing data", options.progress, { totalBytes: size })
      : undefined;
    const streams = existing ? 1 : Math.min(jobs, db.stats().maxSize);
    if (jobs > 1 && existing) {
      print(`Table ${where} exists: importing with one COPY stream (--jobs is for new tables).`);
    }
    if (streams > 1) {
      // A parallel import works on its own connections and staging table.
      await conn.sql.unsafe("ROLLBACK");
      conn.release();
      released = true;
      print(
        `Executing COPY command: ${copyFromStatement(table, columns.names, plan)} ` +
          `(${streams} parallel streams into a staging table, renamed to ${where} at the end)`,
      );
      const rows = await importParallel({
        db,
        table,
        columns: columns.names,
        plan,
        jobs: streams,
        progress,
      });
      created = true;
      print(`\nTable ${where} created successfully.`);
      return reportImported(print, importFile, where, rows, rows, created);
    }
    if (!existing) {
      await conn.sql.unsafe(
        `CREATE TABLE ${qualifiedName(table)} (${
          columns.names.map((c) => `${quoteIdent(c)} TEXT`).join(", ")
        })`,
      );
      created = true;
      print(`\nTable ${where} created successfully.`);
    }
    const statement = copyFromStatement(table, columns.names, plan);
    print(`Executing COPY command: ${statement}`);
    const sink = await CopySink.open(conn.sql, statement, plan.binary === true);
    const rows = await pumpFile(plan, [sink], progress);
    // A table created here holds exactly the rows sent: no need to count them.
    const count = created ? rows : await countRows(conn.sql, table);
    await conn.sql.unsafe("COMMIT");
    return reportImported(print, importFile, where, rows, count, created);
  } catch (e) {
    if (!released) await conn.sql.unsafe("ROLLBACK").catch(() => {});
    throw await explain(e, plan, where, existed);
  } finally {
    if (!released) conn.release();
  }
}

/** Prints the closing lines of an import and returns its result. */
function reportImported(
  print: (line: string) => void,
  importFile: string,
  where: string,
  rows: number,
  tableRows: number,
  created: boolean,
): ImportResult {
  print(`\nRow count after COPY: ${tableRows}`);
  print(`Rows imported: ${rows}`);
  print(`\nData from ${importFile} copied to ${where}.`);
  return { kind: "imported", rows, tableRows, created };
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
  existed: boolean,
): Promise<unknown> {
  const outcome = existed
    ? `nothing was imported, table ${where} is unchanged`
    : `nothing was imported and table ${where} was not created`;
  if (e instanceof TransferError) {
    return plan ? new TransferError(`${e.message}; ${outcome}`, { cause: e }) : e;
  }
  if (plan && e instanceof CopyRowError) {
    const line = await lineOfRow(plan, e.row);
    const column = e.column ? ` (column ${e.column})` : "";
    const at = line ? `line ${line}` : `data row ${e.row}`;
    return new TransferError(`${plan.file}: ${at}: ${e.message}${column}; ${outcome}`, {
      cause: e.cause,
    });
  }
  const pg = e as { message?: string; code?: unknown };
  if (plan && typeof pg?.message === "string" && typeof pg.code === "string") {
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
