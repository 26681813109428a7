/**
 * SQL text for the statements pgimport/pgexport run: quoted identifiers and
 * literals, as psycopg's `sql.Identifier`/`sql.Literal` write them.
 *
 * @module
 */
import type { TableName } from "./paths.ts";

/**
 * A quoted identifier: `"name"`, with `"` doubled.
 *
 * @example
 * ```ts
 * import { quoteIdent } from "./sql.ts";
 * quoteIdent('My "Table"'); // "\"My \"\"Table\"\"\""
 * ```
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A string literal: `'text'` with `'` doubled; `E'…'` with `\` doubled when
 * the text has a backslash (correct whatever `standard_conforming_strings`).
 *
 * @example
 * ```ts
 * import { quoteLiteral } from "./sql.ts";
 * quoteLiteral("it's"); // "'it''s'"
 * quoteLiteral("\\"); // "E'\\\\'"
 * ```
 */
export function quoteLiteral(text: string): string {
  const body = text.replaceAll("'", "''");
  return text.includes("\\") ? `E'${body.replaceAll("\\", "\\\\")}'` : `'${body}'`;
}

/**
 * `"schema"."table"`.
 *
 * @example
 * ```ts
 * import { qualifiedName } from "./sql.ts";
 * qualifiedName({ schema: "public", table: "MixedCase" }); // "\"public\".\"MixedCase\""
 * ```
 */
export function qualifiedName(name: TableName): string {
  return `${quoteIdent(name.schema)}.${quoteIdent(name.table)}`;
}
