/**
 * Column names for an import: from the header row (sanitised as pgmonkey
 * (Python) does, or kept as written with `enforce_lowercase: false`) or
 * generated (`column_1`…), and the comparison with an existing table.
 *
 * @module
 */
import { MAX_NAME_BYTES, utf8ByteLength } from "../config/limits.ts";
import { pyRepr } from "../config/pystr.ts";
import { TransferError } from "./errors.ts";

/** The target columns of an import. */
export interface ImportColumns {
  /** Column names, in file order. */
  readonly names: readonly string[];
  /** Indexes of the file fields that go into those columns (blank header cells are left out). */
  readonly keep: readonly number[];
  /** Fields per row in the file. */
  readonly fields: number;
}

/** Python's `str.isspace()` characters (JS `\s` has U+FEFF instead of U+001C–U+001F, U+0085). */
const PY_SPACE =
  "[\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, "g");

/**
 * Python's `str.strip()`.
 *
 * @example
 * ```ts
 * import { pyStrip } from "./columns.ts";
 * pyStrip("  id\t"); // "id"
 * pyStrip("\uFEFF"); // "\uFEFF" (not whitespace in Python)
 * ```
 */
export function pyStrip(text: string): string {
  return text.replace(PY_STRIP, "");
}

/** Longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes). */
export const MAX_IDENTIFIER_BYTES: number = MAX_NAME_BYTES;

/** pgmonkey (Python)'s sanitising: lower-case, every character outside `a-z0-9_` → `_`. */
export function sanitiseColumnName(header: string): string {
  return header.toLowerCase().replace(/[^a-zA-Z0-9_]/gu, "_");
}

const VALID_NAME = /^(?:[a-zA-Z_][a-zA-Z0-9_]*|"[0-9a-zA-Z_]+")$/;

/** `['a', 'b']`, as Python prints a list of strings. */
export function pyList(items: readonly string[]): string {
  return `[${items.map(pyRepr).join(", ")}]`;
}

/**
 * The columns for a header row. Blank cells (after Python's `strip()`) are
 * left out; with `enforceLowercase` names are sanitised and must then be
 * valid unquoted identifiers; without it they are kept as written. Empty
 * results, duplicates and names over 63 bytes are errors.
 *
 * @example
 * ```ts
 * import { columnsFromHeader } from "./columns.ts";
 * columnsFromHeader(["Name", "", "E-Mail Address"], true, "a.csv").names; // ["name", "e_mail_address"]
 * columnsFromHeader(["Name", "", "E-Mail Address"], false, "a.csv").names; // ["Name", "E-Mail Address"]
 * ```
 */
export function columnsFromHeader(
  header: readonly string[],
  enforceLowercase: boolean,
  file: string,
): ImportColumns {
  const keep = header.map((h, i) => (pyStrip(h) === "" ? -1 : i)).filter((i) => i >= 0);
  if (keep.length === 0) {
    throw new TransferError(
      `${file}: No valid columns detected after filtering empty headers.`,
    );
  }
  const names = keep.map((i) => {
    const original = header[i];
    if (!enforceLowercase) return original;
    const name = sanitiseColumnName(original);
    if (!VALID_NAME.test(name)) {
      throw new TransferError(
        `${file}: Invalid column name ${pyRepr(name)} (from the header ${pyRepr(original)}): ` +
          "a column name must start with a letter or an underscore; set enforce_lowercase: " +
          "false in the settings file to keep the header names as they are",
      );
    }
    return name;
  });
  const seen = new Map<string, number>();
  names.forEach((name, k) => {
    if (utf8ByteLength(name) > MAX_IDENTIFIER_BYTES) {
      throw new TransferError(
        `${file}: column name ${pyRepr(name)} is longer than ${MAX_IDENTIFIER_BYTES} bytes, ` +
          "PostgreSQL's limit",
      );
    }
    if (name.includes("\0")) {
      throw new TransferError(`${file}: column name ${pyRepr(name)} contains a NUL character`);
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new TransferError(
        `${file}: duplicate column name ${pyRepr(name)} (from the headers ` +
          `${pyRepr(header[keep[first]])} and ${pyRepr(header[keep[k]])})`,
      );
    }
    seen.set(name, k);
  });
  return { names, keep, fields: header.length };
}

/**
 * `column_1` … `column_N` for a file without a header row of `fields` fields.
 *
 * @example
 * ```ts
 * import { generatedColumns } from "./columns.ts";
 * generatedColumns(2).names; // ["column_1", "column_2"]
 * ```
 */
export function generatedColumns(fields: number): ImportColumns {
  const keep = Array.from({ length: fields }, (_, i) => i);
  return { names: keep.map((i) => `column_${i + 1}`), keep, fields };
}

/**
 * Compares the file's columns with an existing table's (names, order and
 * count must be equal) and returns `undefined` when they match, else one
 * line saying exactly which differ.
 *
 * @example
 * ```ts
 * import { describeColumnMismatch } from "./columns.ts";
 * describeColumnMismatch(["id", "name"], ["id", "fullname"]);
 * // "column 2 is 'name' in the table but 'fullname' in the file"
 * ```
 */
export function describeColumnMismatch(
  table: readonly string[],
  file: readonly string[],
): string | undefined {
  const problems: string[] = [];
  const common = Math.min(table.length, file.length);
  for (let i = 0; i < common; i++) {
    if (table[i] !== file[i]) {
      problems.push(
        `column ${i + 1} is ${pyRepr(table[i])} in the table but ${pyRepr(file[i])} in the file`,
      );
    }
  }
  if (table.length > file.length) {
    problems.push(
      `the table has ${table.length - file.length} more: ${pyList(table.slice(common))}`,
    );
  } else if (file.length > table.length) {
    problems.push(`the file has ${file.length - table.length} more: ${pyList(file.slice(common))}`);
  }
  return problems.length ? problems.join("; ") : undefined;
}
