/**
 * The settings files of pgimport (`<data file>.yaml`) and pgexport
 * (`<csv file>.yaml`): writing them exactly as pgmonkey (Python) does (same
 * keys, PyYAML layout, comment block) and reading them, also when written by
 * pgmonkey (Python) or edited by hand.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { parseYaml } from "../config/yaml.ts";
import { dumpMapping } from "./pyyaml_dump.ts";
import { TransferError } from "./errors.ts";
import { pyRepr } from "../config/pystr.ts";

/**
 * The comment block pgmonkey (Python) appends to an import settings file
 * (4-space indented, ends with a newline and four spaces).
 */
export const IMPORT_COMMENT_BLOCK: string = `
    # Import configuration options:
    #
    # Booleans here can be True or False as required.
    #
    # has_headers: Boolean - True if the first row in the CSV contains column headers.
    # auto_create_table: Boolean - If True, the importer will automatically create the table if it doesn't exist.
    # enforce_lowercase: Boolean - If True, the importer will enforce lowercase and underscores in column names.
    # delimiter: String - The character used to separate columns in the CSV file.
    #    Common delimiters include:
    #    - ',' (comma): Most common for CSV files.
    #    - ';' (semicolon): Used in some European countries.
    #    - '\\t' (tab): Useful for tab-separated files.
    #    - '|' (pipe): Used when data contains commas.
    # quotechar: String - The character used to quote fields containing special characters (e.g., commas).
    # encoding: String - The character encoding used by the CSV file. Below are common encodings:
    #    - utf-8: Standard encoding for most modern text, default for many systems.
    #    - iso-8859-1: Commonly used for Western European languages (English, German, French, Spanish).
    #    - iso-8859-2: Commonly used for Central and Eastern Europe languages (Polish, Czech, Hungarian, Croatian).
    #    - cp1252: Common in Windows environments for Western European languages.
    #    - utf-16: Used when working with files that have Unicode characters beyond standard utf-8.
    #    - ascii: Older encoding, supports basic English characters only.
    #
    # You can modify these settings based on the specifics of your CSV file.
    `;

/**
 * The comment block pgmonkey (Python) appends to an export settings file,
 * after the `# Original database encoding:` line.
 */
export const EXPORT_COMMENT_BLOCK: string = `
    # Export configuration options:
    #
    # Booleans here can be True or False as required.
    #
    # delimiter: String - The character used to separate columns in the CSV file.
    #    Common delimiters include:
    #    - ',' (comma): Most common for CSV files.
    #    - ';' (semicolon): Used in some European countries.
    #    - '\\t' (tab): Useful for tab-separated files.
    #    - '|' (pipe): Used when data contains commas.
    # quotechar: String - The character used to quote fields containing special characters (e.g., commas).
    # encoding: String - The character encoding used by the CSV file. Below are common encodings:
    #    - utf-8: Standard encoding for most modern text, default for many systems.
    #    - iso-8859-1: Commonly used for Western European languages (English, German, French, Spanish).
    #    - iso-8859-2: Commonly used for Central and Eastern Europe languages (Polish, Czech, Hungarian, Croatian).
    #    - cp1252: Common in Windows environments for Western European languages.
    #    - utf-16: Used when working with files that have Unicode characters beyond standard utf-8.
    #    - ascii: Older encoding, supports basic English characters only.
    `;

/** What an import settings file says (defaults filled in). */
export interface ImportSettings {
  /** The first non-empty row holds the column names. Default true. */
  readonly hasHeaders: boolean;
  /** Create the table when it does not exist. Default true. */
  readonly autoCreateTable: boolean;
  /**
   * Column names lower-cased with every character other than `a-z0-9_`
   * replaced by `_` (default true); false keeps the header names as they are
   * (quoted identifiers).
   */
  readonly enforceLowercase: boolean;
  /** Field delimiter, one character. Default `,`. */
  readonly delimiter: string;
  /** Quote character, one character. Default `"`. */
  readonly quotechar: string;
  /** Python codec name of the file's encoding. Default `utf-8`. */
  readonly encoding: string;
  /**
   * Parallel COPY streams for an import into a new table (our addition;
   * pgmonkey (Python) ignores the key). Default 1.
   */
  readonly jobs: number;
}

/** Most parallel COPY streams an import may use. */
export const MAX_JOBS = 64;

/**
 * Checks a `jobs` value (settings file or `--jobs`): an integer from 1 to
 * {@link MAX_JOBS}. Returns the error text, or `undefined` when valid.
 *
 * @example
 * ```ts
 * import { jobsProblem } from "./settings.ts";
 * jobsProblem(4); // undefined
 * jobsProblem(0); // "must be an integer from 1 to 64, not 0"
 * ```
 */
export function jobsProblem(value: unknown): string | undefined {
  if (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_JOBS) {
    return undefined;
  }
  return `must be an integer from 1 to ${MAX_JOBS}, not ${show(value)}`;
}

/** What an export settings file says (defaults filled in). */
export interface ExportSettings {
  /** Field delimiter, one character. Default `,`. */
  readonly delimiter: string;
  /** Quote character, one character. Default `"`. */
  readonly quotechar: string;
  /** Python codec name of the encoding to write. Default `utf-8`. */
  readonly encoding: string;
}

/**
 * The text of an import settings file, byte-identical to pgmonkey (Python)'s
 * for the same values.
 *
 * @example
 * ```ts
 * import { formatImportSettings } from "./settings.ts";
 * const text = formatImportSettings({ delimiter: ",", encoding: "ascii", hasHeaders: true });
 * // "auto_create_table: true\ndelimiter: ','\nencoding: ascii\n..."
 * ```
 */
export function formatImportSettings(
  detected: { delimiter: string; encoding: string; hasHeaders: boolean },
): string {
  return dumpMapping({
    has_headers: detected.hasHeaders,
    auto_create_table: true,
    enforce_lowercase: true,
    delimiter: detected.delimiter,
    quotechar: '"',
    encoding: detected.encoding,
  }) + IMPORT_COMMENT_BLOCK;
}

/**
 * The text of an export settings file, byte-identical to pgmonkey (Python)'s:
 * defaults `,`, `"`, `utf-8`, then the database encoding comment.
 *
 * @example
 * ```ts
 * import { formatExportSettings } from "./settings.ts";
 * formatExportSettings("UTF8").split("\n")[3]; // "# Original database encoding: UTF8"
 * ```
 */
export function formatExportSettings(databaseEncoding: string): string {
  return dumpMapping({ delimiter: ",", quotechar: '"', encoding: "utf-8" }) +
    `# Original database encoding: ${databaseEncoding}\n` + EXPORT_COMMENT_BLOCK;
}

type Mapping = Record<string, unknown>;

async function readMapping(path: string, kind: string): Promise<Mapping> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new TransferError(`cannot read the ${kind} settings file ${path}: ${describe(e)}`, {
      cause: e,
    });
  }
  let value: unknown;
  try {
    value = parseYaml(text, path);
  } catch (e) {
    throw new TransferError(
      `the ${kind} settings file ${path} is not valid YAML: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (value === null || value === undefined) {
    throw new TransferError(
      `the ${kind} settings file ${path} is empty; delete it to have it generated again`,
    );
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TransferError(`the ${kind} settings file ${path} must be a mapping of settings`);
  }
  return value as Mapping;
}

function describe(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  const text = e instanceof Error ? e.message : String(e);
  return typeof code === "string" && !text.includes(code) ? `${code}: ${text}` : text;
}

function boolSetting(map: Mapping, key: string, fallback: boolean, path: string): boolean {
  const v = map[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  throw new TransferError(`${path}: ${key} must be true or false, not ${show(v)}`);
}

/**
 * A one-character setting. The two-character text `\t` (as in `'\t'`, which
 * YAML reads literally) means a tab, for the delimiter as pgexport (Python)
 * already did it.
 */
function charSetting(map: Mapping, key: string, fallback: string, path: string): string {
  const v = map[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "string") {
    throw new TransferError(`${path}: ${key} must be a single character, not ${show(v)}`);
  }
  const text = v === "\\t" ? "\t" : v;
  if ([...text].length !== 1) {
    throw new TransferError(`${path}: ${key} must be a single character, not ${pyRepr(v)}`);
  }
  if (text === "\n" || text === "\r") {
    throw new TransferError(`${path}: ${key} cannot be a line break`);
  }
  return text;
}

function stringSetting(map: Mapping, key: string, fallback: string, path: string): string {
  const v = map[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "string" || v.trim() === "") {
    throw new TransferError(`${path}: ${key} must be an encoding name, not ${show(v)}`);
  }
  return v;
}

function show(v: unknown): string {
  return typeof v === "string" ? pyRepr(v) : JSON.stringify(v) ?? String(v);
}

/**
 * Reads an import settings file (ours or pgmonkey (Python)'s), with
 * pgmonkey's defaults for missing keys. Throws {@link TransferError} for a
 * file that cannot be read or holds an invalid value.
 *
 * @example
 * ```ts ignore
 * import { readImportSettings } from "./settings.ts";
 * const settings = await readImportSettings("data.yaml");
 * console.log(settings.delimiter, settings.encoding);
 * ```
 */
export async function readImportSettings(path: string): Promise<ImportSettings> {
  const map = await readMapping(path, "import");
  const settings = {
    hasHeaders: boolSetting(map, "has_headers", true, path),
    autoCreateTable: boolSetting(map, "auto_create_table", true, path),
    enforceLowercase: boolSetting(map, "enforce_lowercase", true, path),
    delimiter: charSetting(map, "delimiter", ",", path),
    quotechar: charSetting(map, "quotechar", '"', path),
    encoding: stringSetting(map, "encoding", "utf-8", path),
    jobs: jobsSetting(map, path),
  };
  if (settings.delimiter === settings.quotechar) {
    throw new TransferError(`${path}: delimiter and quotechar must differ`);
  }
  return settings;
}

function jobsSetting(map: Mapping, path: string): number {
  const v = map.jobs;
  if (v === undefined || v === null) return 1;
  const problem = jobsProblem(v);
  if (problem) throw new TransferError(`${path}: jobs ${problem}`);
  return v as number;
}

/**
 * Reads an export settings file (ours or pgmonkey (Python)'s), with
 * pgmonkey's defaults for missing keys.
 *
 * @example
 * ```ts ignore
 * import { readExportSettings } from "./settings.ts";
 * const { delimiter, quotechar, encoding } = await readExportSettings("users.yaml");
 * ```
 */
export async function readExportSettings(path: string): Promise<ExportSettings> {
  const map = await readMapping(path, "export");
  const settings = {
    delimiter: charSetting(map, "delimiter", ",", path),
    quotechar: charSetting(map, "quotechar", '"', path),
    encoding: stringSetting(map, "encoding", "utf-8", path),
  };
  if (settings.delimiter === settings.quotechar) {
    throw new TransferError(`${path}: delimiter and quotechar must differ`);
  }
  return settings;
}
