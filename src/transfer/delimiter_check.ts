/**
 * A likely wrong `delimiter` in an import settings file: it splits the
 * first row into one column, yet that row holds another common delimiter.
 *
 * @module
 */
import { pyRepr } from "../config/pystr.ts";

/** The delimiters people use, in the order the warning suggests them. */
export const COMMON_DELIMITERS: readonly string[] = [",", ";", "\t", "|"];

const SHOWN = 40;

/**
 * The warning (one line, no prefix) when the first row, split with
 * `delimiter`, is one column that contains another of the
 * {@link COMMON_DELIMITERS}; `undefined` otherwise.
 *
 * @example
 * ```ts
 * import { otherDelimiterWarning } from "./delimiter_check.ts";
 * otherDelimiterWarning(["id;name;city"], ",", "users.yaml");
 * // "users.yaml: delimiter ',' gives one column, but the first row 'id;name;city' contains ';': …"
 * otherDelimiterWarning(["id,name"], ";", "users.yaml"); // a warning naming ','
 * otherDelimiterWarning(["a", "b"], ",", "users.yaml"); // undefined
 * ```
 */
export function otherDelimiterWarning(
  firstRow: readonly string[],
  delimiter: string,
  settingsFile: string,
): string | undefined {
  if (firstRow.length !== 1) return undefined;
  const [field] = firstRow;
  const other = COMMON_DELIMITERS.find((d) => d !== delimiter && field.includes(d));
  if (other === undefined) return undefined;
  const shown = field.length > SHOWN ? `${field.slice(0, SHOWN - 3)}...` : field;
  return `${settingsFile}: delimiter ${pyRepr(delimiter)} gives one column, but the first row ` +
    `${pyRepr(shown)} contains ${pyRepr(other)}: if that is the separator, set delimiter: ` +
    `${pyRepr(other)}`;
}
