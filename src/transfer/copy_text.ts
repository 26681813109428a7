/**
 * PostgreSQL's COPY text format, as we write it: fields separated by a tab,
 * rows ended by `\n`, and in field values `\` → `\\`, tab → `\t`,
 * newline → `\n`, carriage return → `\r`. Nothing else is escaped, and an
 * empty field stays empty: it is the empty string, never NULL (`\N` never
 * appears, since every backslash of the data is doubled).
 *
 * @module
 */

/** Byte values of the COPY text format. */
export const COPY_TAB = 0x09;
/** Row terminator. */
export const COPY_LF = 0x0a;
/** Carriage return (escaped as `\r`). */
export const COPY_CR = 0x0d;
/** Backslash (escaped as `\\`). */
export const COPY_BACKSLASH = 0x5c;

/**
 * One field value in COPY text format.
 *
 * @example
 * ```ts
 * import { escapeCopyText } from "./copy_text.ts";
 * escapeCopyText("a\tb\\c\n"); // "a\\tb\\\\c\\n"
 * escapeCopyText(""); // "" (empty string, not NULL)
 * ```
 */
export function escapeCopyText(value: string): string {
  return value.replace(
    /[\\\t\n\r]/g,
    (c) => c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/**
 * One row in COPY text format, with its `\n`.
 *
 * @example
 * ```ts
 * import { copyTextRow } from "./copy_text.ts";
 * copyTextRow(["1", "", "x y"]); // "1\t\tx y\n"
 * ```
 */
export function copyTextRow(fields: readonly string[]): string {
  return fields.map(escapeCopyText).join("\t") + "\n";
}
