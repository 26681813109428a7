/**
 * A byte-order mark at the start of a line in the middle of an import file.
 * It appears when files that each start with a BOM are joined
 * (`cat a.csv b.csv`), usually right before a repeated header row. Kept, it
 * would end up in the table as an invisible U+FEFF at the start of a value
 * (`'\uFEFFid'` ≠ `'id'`); dropped, the repeated header would be imported as
 * a data row — both silent. So the import stops at that line instead, naming
 * it (nothing is imported).
 *
 * Only there: a U+FEFF inside a field or inside quotes is a character of the
 * data (ZERO WIDTH NO-BREAK SPACE) and is kept, so whatever a table holds
 * round-trips through pgexport and pgimport. And only files in a Unicode
 * encoding are checked: in Latin-1 or a Windows code page the same bytes are
 * the ordinary characters `ï»¿`.
 *
 * @module
 */
import { TransferError } from "./errors.ts";

/**
 * The error for a line of `file` that starts with a byte-order mark.
 *
 * @example
 * ```ts
 * import { midFileBomError } from "./bom_guard.ts";
 * midFileBomError("a.csv", 4).message;
 * // "a.csv: line 4: byte-order mark (U+FEFF) in the middle of the file (files joined together?); remove it and import again"
 * ```
 */
export function midFileBomError(file: string, line: number): TransferError {
  return new TransferError(
    `${file}: line ${line}: byte-order mark (U+FEFF) in the middle of the file ` +
      "(files joined together?); remove it and import again",
  );
}
