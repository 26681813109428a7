/**
 * A config file that holds a literal password (not `${VAR}`, `from_env` or
 * `from_file`) and that group or others may read gets one warning naming
 * the file and the fix, as libpq warns about a group-readable `.pgpass`.
 *
 * @module
 */
import { statSync } from "node:fs";
import process from "node:process";
import { isMapping } from "./values.ts";
import { type WarningHandler, warnOnce } from "./warn.ts";

/** True when `raw` holds a password written out in the file. */
export function hasLiteralPassword(raw: unknown): boolean {
  if (!isMapping(raw) || !isMapping(raw.connection_settings)) return false;
  const p = raw.connection_settings.password;
  if (typeof p === "number") return true;
  return typeof p === "string" && p !== "" && !p.includes("${");
}

/**
 * The warning for `path`, or `undefined` (no literal password, or the file is
 * not readable by group or others).
 *
 * @example
 * ```ts
 * import { exposedSecretWarning } from "./exposed_secret.ts";
 * exposedSecretWarning("pg.yaml", 0o100644, { connection_settings: { password: "pw" } });
 * // "pg.yaml: holds a literal password and can be read by group or others (mode 0644); …"
 * ```
 */
export function exposedSecretWarning(path: string, mode: number, raw: unknown): string | undefined {
  if ((mode & 0o077) === 0 || !hasLiteralPassword(raw)) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, "0");
  return `${path}: holds a literal password and can be read by group or others (mode ${octal}); ` +
    `restrict it with chmod 600 ${path}, or take the password from from_env / from_file`;
}

/** Checks the file of a loaded config once per path and handler (not on Windows). */
export function warnIfSecretExposed(path: string, raw: unknown, warn: WarningHandler): void {
  if (process.platform === "win32" || !hasLiteralPassword(raw)) return;
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return;
  }
  const message = exposedSecretWarning(path, mode, raw);
  if (message) warnOnce(warn, `exposed-secret:${path}:${mode}`, message);
}
