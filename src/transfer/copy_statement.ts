/**
 * The `COPY … FROM STDIN` statement of an import: binary format when the
 * converter writes binary tuples, else COPY text with the data's encoding.
 *
 * @example
 * ```ts
 * import { findCodec } from "./codecs.ts";
 * import { copyFromStatement } from "./copy_statement.ts";
 * const plan = {
 *   codec: findCodec("utf-8")!, delimiter: ",", quotechar: '"', fields: 1, keep: [0],
 *   skipHeader: true, countFromHeader: true, file: "a.csv",
 * };
 * copyFromStatement({ schema: "public", table: "t" }, ["a"], plan);
 * // 'COPY "public"."t" ("a") FROM STDIN WITH (ENCODING \'UTF8\')'
 * copyFromStatement({ schema: "public", table: "t" }, ["a"], { ...plan, binary: true });
 * // 'COPY "public"."t" ("a") FROM STDIN WITH (FORMAT binary)'
 * ```
 *
 * @module
 */
import { type ConverterPlan, copyEncoding } from "./converters.ts";
import type { TableName } from "./paths.ts";
import { qualifiedName, quoteIdent, quoteLiteral } from "./sql.ts";

/** `COPY "s"."t" ("a", "b") FROM STDIN WITH (…)` for the data `plan` produces. */
export function copyFromStatement(
  table: TableName,
  columns: readonly string[],
  plan: ConverterPlan,
): string {
  const options = plan.binary ? "FORMAT binary" : `ENCODING ${quoteLiteral(copyEncoding(plan))}`;
  return `COPY ${qualifiedName(table)} (${columns.map(quoteIdent).join(", ")}) FROM STDIN ` +
    `WITH (${options})`;
}
