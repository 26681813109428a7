/**
 * `pgexport`: a table into a CSV file.
 *
 * First run (no settings file beside the CSV file): write the settings file
 * as pgmonkey (Python) does (defaults plus the database encoding) and stop.
 * Later runs: `COPY … TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER, QUOTE,
 * ENCODING)` streamed into a temporary file that replaces the CSV file only
 * when the export succeeded (and was synced to disk). For UTF-8 output with
 * an ASCII delimiter and quote the server sends COPY text instead and the
 * same CSV is written here (`copy_text_to_csv.ts`): half the server's work.
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { PGConnection, ReservedSql } from "../connect/handle.ts";
import { AtomicFile } from "./atomic_file.ts";
import { copyOut } from "./copy_stream.ts";
import { CopyTextToCsv } from "./copy_text_to_csv.ts";
import { fsReason, pathExists, TransferError } from "./errors.ts";
import { exportEncoding } from "./export_encoding.ts";
import {
  checkTableName,
  defaultExportFile,
  pyPathStr,
  type TableName,
  withSuffix,
} from "./paths.ts";
import { Progress, type ProgressOutput } from "./progress.ts";
import { formatExportSettings, readExportSettings } from "./settings.ts";
import { qualifiedName, quoteLiteral } from "./sql.ts";

/** Options of {@link runExport}. */
export interface ExportOptions {
  /** `[schema.]table`. */
  readonly table: string;
  /** CSV file (default: the table name without schema, plus `.csv`). */
  readonly exportFile?: string;
  /** Settings file (default: the CSV file with the suffix `.yaml`). */
  readonly settingsFile?: string;
  /** Opens the database connection. */
  readonly connect: () => Promise<PGConnection>;
  /** Prints one line of the report (no newline). */
  readonly print: (line: string) => void;
  /** Where the progress line goes (a terminal); none: no progress. */
  readonly progress?: ProgressOutput;
}

/** What {@link runExport} did. */
export type ExportResult =
  | {
    /** The settings file was written; nothing was exported. */
    readonly kind: "settings-created";
    /** Path of the new settings file. */
    readonly settingsFile: string;
  }
  | {
    /** The table was exported. */
    readonly kind: "exported";
    /** The CSV file written. */
    readonly file: string;
    /** Data rows written (the header not counted). */
    readonly rows: number;
    /** Bytes written. */
    readonly bytes: number;
  };

/** The database's encoding name (`UTF8`), what pgmonkey records in the settings file. */
async function databaseEncoding(db: PGConnection): Promise<string> {
  const [{ encoding }] = await db.sql<{ encoding: string }[]>`
    SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database
    WHERE datname = current_database()`;
  return encoding;
}

async function createSettings(options: ExportOptions, settingsFile: string): Promise<ExportResult> {
  const { print } = options;
  print(`Export config file '${settingsFile}' not found. Creating it with auto-detected settings.`);
  // Like pgmonkey (Python), the settings file records the database encoding:
  // without a working connection there is no settings file (and no export).
  const encoding = await databaseEncoding(await options.connect());
  try {
    await mkdir(dirname(settingsFile), { recursive: true });
    await writeFile(settingsFile, formatExportSettings(encoding), { flag: "wx" });
  } catch (e) {
    throw new TransferError(
      `cannot create the settings file ${settingsFile}: ${fsReason(e)}`,
      { cause: e },
    );
  }
  print(`Export configuration file '${settingsFile}' has been created.`);
  print(
    "Please review the file and adjust settings if necessary before running the export " +
      "process again.",
  );
  return { kind: "settings-created", settingsFile };
}

const isAscii = (c: string) => c.charCodeAt(0) < 0x80;

/** Whether the server writes a HEADER in COPY text format (PostgreSQL 15 and later). */
async function textHeaderSupported(sql: ReservedSql): Promise<boolean> {
  const [{ ok }] = await sql.unsafe<{ ok: boolean }[]>(
    "SELECT current_setting('server_version_num')::int >= 150000 AS ok",
  );
  return ok;
}

/** `COPY "s"."t" TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ',', QUOTE '"', ENCODING 'UTF8')`. */
export function copyToStatement(
  table: TableName,
  settings: { delimiter: string; quotechar: string },
  encoding: string,
): string {
  return `COPY ${qualifiedName(table)} TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ` +
    `${quoteLiteral(settings.delimiter)}, QUOTE ${quoteLiteral(settings.quotechar)}, ` +
    `ENCODING ${quoteLiteral(encoding)})`;
}

async function exportData(
  options: ExportOptions,
  file: string,
  settingsFile: string,
): Promise<ExportResult> {
  const { print } = options;
  const settings = await readExportSettings(settingsFile);
  const table = checkTableName(options.table);
  const encoding = exportEncoding(settings.encoding, settingsFile);
  const where = `${table.schema}.${table.table}`;
  // Connecting (network round trips) overlaps with creating the temporary file.
  const connecting = options.connect();
  connecting.catch(() => {}); // awaited below; a file error of ours wins
  const existed = await pathExists(file);
  const target = await AtomicFile.create(file);
  let rows = -1; // COPY data messages, one per row; the header is the first
  try {
    const db = await connecting;
    await using conn = await db.acquire();
    let progress: Progress | undefined;
    if (options.progress) {
      const [{ count }] = await conn.sql.unsafe<{ count: string }[]>(
        `SELECT count(*) AS count FROM ${qualifiedName(table)}`,
      );
      progress = new Progress("Exporting data", options.progress, { totalRows: Number(count) });
    }
    // CSV written here from COPY text where we can: the server's own CSV output costs it twice
    // the time of COPY text, and the server is what an export waits for.
    const csvHere = isAscii(settings.delimiter) && isAscii(settings.quotechar) &&
      encoding.pg === "UTF8" && await textHeaderSupported(conn.sql);
    const statement = csvHere
      ? `COPY ${qualifiedName(table)} TO STDOUT WITH (FORMAT text, HEADER, ENCODING 'UTF8')`
      : copyToStatement(table, settings, encoding.pg);
    const toCsv = csvHere
      ? new CopyTextToCsv({
        delimiter: settings.delimiter.charCodeAt(0),
        quote: settings.quotechar.charCodeAt(0),
      })
      : undefined;
    print(`Executing COPY command: ${statement}`);
    if (encoding.prefix.length) await target.write(encoding.prefix);
    const transform = encoding.transform;
    try {
      const copied = await copyOut(conn.sql, statement, (chunk) => {
        rows++;
        if (progress && (rows & 1023) === 0) progress.update(Math.max(rows, 0), target.bytes);
        if (toCsv && !transform) {
          // The CSV goes straight into the file's buffer.
          const max = CopyTextToCsv.maxOutput(chunk.length + toCsv.carried);
          return target.writeInto(max, (buffer, at) => toCsv.convertInto(chunk, buffer, at));
        }
        let bytes = toCsv ? toCsv.push(chunk) : chunk;
        if (transform) {
          try {
            bytes = transform(bytes, false);
          } catch (e) {
            // Every COPY data message is one row (the header is row 0).
            throw new TransferError(`row ${rows}: ${(e as Error).message}`, { cause: e });
          }
        }
        if (target.fits(bytes.length)) {
          void target.write(bytes);
          return;
        }
        return target.write(bytes.slice());
      });
      if (copied !== undefined) rows = copied;
    } finally {
      progress?.done();
    }
    if (transform) await target.write(transform(new Uint8Array(0), true));
    await target.commit();
  } catch (e) {
    await target.discard();
    const outcome = existed ? `${file} is unchanged` : `${file} was not written`;
    const message = e instanceof Error ? e.message : String(e);
    throw new TransferError(`cannot export ${where}: ${message}; ${outcome}`, { cause: e });
  }
  print(`\nData from ${where} exported to ${file}.`);
  print(`Rows exported: ${Math.max(rows, 0)}`);
  return { kind: "exported", file, rows: Math.max(rows, 0), bytes: target.bytes };
}

/** The CSV and settings files pgexport uses. */
export function exportPaths(
  table: string,
  exportFile?: string,
): { file: string; settingsFile: string } {
  const file = exportFile ?? defaultExportFile(table);
  return { file, settingsFile: withSuffix(pyPathStr(file), ".yaml") };
}

/**
 * Runs pgexport: creates the settings file on the first run (and returns
 * `settings-created`), else exports the table.
 *
 * @example
 * ```ts ignore
 * import { PGConnectionManager } from "../connect/manager.ts";
 * import { runExport } from "./exporter.ts";
 * const manager = new PGConnectionManager();
 * await runExport({
 *   table: "public.users",
 *   connect: () => manager.getDatabaseConnection("pg.yaml", "normal"),
 *   print: (line) => console.log(line),
 * });
 * ```
 */
export async function runExport(options: ExportOptions): Promise<ExportResult> {
  const paths = exportPaths(options.table, options.exportFile);
  const settingsFile = options.settingsFile ?? paths.settingsFile;
  if (!(await pathExists(settingsFile))) return await createSettings(options, settingsFile);
  return await exportData(options, paths.file, settingsFile);
}
