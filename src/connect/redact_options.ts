/**
 * postgres.js options as users may see them: `sql.options` without the
 * password (and without our socket factory).
 *
 * @module
 */
import { REDACTED } from "../config/redact.ts";

/**
 * A shallow copy of postgres.js's parsed options with `pass` masked and the
 * transport's `socket` function left out.
 *
 * @example
 * ```ts
 * import { redactedOptions } from "./redact_options.ts";
 * console.log(redactedOptions({ host: ["db"], pass: "s3cret" }).pass); // ***REDACTED***
 * ```
 */
export function redactedOptions(options: unknown): Record<string, unknown> {
  const o = { ...(options as Record<string, unknown>) };
  if (o.pass !== undefined && o.pass !== "") o.pass = REDACTED;
  delete o.socket;
  return o;
}
