/**
 * `pgmonkey pgserverconfig --audit`: compares the recommendations of
 * `recommend()` with a live server's `pg_settings` and
 * `pg_hba_file_rules`, and formats the report exactly like pgmonkey (Python).
 * Pure: the CLI runs {@link PG_SETTINGS_SQL} and {@link PG_HBA_FILE_RULES_SQL}
 * and passes the rows (or the error) in.
 *
 * @example
 * ```ts
 * import { formatAudit } from "./audit.ts";
 * import { recommend } from "./recommend.ts";
 * const recommendations = recommend({
 *   connection_settings: { host: "127.0.0.1", sslmode: "disable" },
 *   async_pool_settings: { max_size: 8 },
 * })!;
 * const text = formatAudit({
 *   recommendations,
 *   settings: [{ name: "max_connections", setting: "100", source: "configuration file" }],
 *   hbaRules: null,
 * });
 * console.log(text);
 * ```
 *
 * @module
 */

import { PG_HBA_HEADER, type ServerRecommendations } from "./recommend.ts";
import { pyInt } from "./pyint.ts";

/** The postgresql.conf settings the audit looks up. */
export const AUDIT_SETTING_NAMES: readonly string[] = [
  "max_connections",
  "ssl",
  "ssl_cert_file",
  "ssl_key_file",
  "ssl_ca_file",
];

/**
 * Query 1 of the audit (no parameters; upstream passes the names as one
 * array parameter). Run it with `sql.unsafe(PG_SETTINGS_SQL)`; rows are
 * {@link PgSettingRow}.
 */
export const PG_SETTINGS_SQL: string = "SELECT name, setting, source FROM pg_settings " +
  `WHERE name = ANY(ARRAY[${AUDIT_SETTING_NAMES.map((n) => `'${n}'`).join(", ")}])`;

/**
 * Query 2 of the audit (PostgreSQL 15+, needs superuser or
 * `pg_read_all_settings`-like rights). Rows are {@link HbaFileRuleRow}; any
 * failure means "not available" (pass `null` as `hbaRules`).
 */
export const PG_HBA_FILE_RULES_SQL: string =
  "SELECT line_number, type, database, user_name, address, netmask, auth_method, options " +
  "FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number";

/** One row of {@link PG_SETTINGS_SQL}. */
export interface PgSettingRow {
  /** Setting name. */
  readonly name: string;
  /** Current value as text. */
  readonly setting: string | null;
  /** Where the value comes from (`default`, `configuration file`, …). */
  readonly source: string | null;
}

/**
 * One row of {@link PG_HBA_FILE_RULES_SQL}. Array columns may come as arrays
 * or as PostgreSQL array literals (`{all}`), when the driver does not parse
 * them.
 */
export interface HbaFileRuleRow {
  /** Line in pg_hba.conf. */
  readonly line_number?: number | string | null;
  /** `local`, `host`, `hostssl`, … */
  readonly type?: string | null;
  /** Database names. */
  readonly database?: readonly string[] | string | null;
  /** Role names. */
  readonly user_name?: readonly string[] | string | null;
  /** Address (none for `local`). */
  readonly address?: string | null;
  /** Netmask (not shown). */
  readonly netmask?: string | null;
  /** Authentication method. */
  readonly auth_method?: string | null;
  /** Options such as `clientcert=verify-full`. */
  readonly options?: readonly string[] | string | null;
}

/** How a current server value relates to the recommendation. */
export type AuditStatus = "OK" | "MISMATCH" | "REVIEW" | "UNKNOWN";

/** One row of the postgresql.conf audit table. */
export interface SettingComparison {
  /** Setting name. */
  readonly setting: string;
  /** Recommended value, quotes stripped. */
  readonly recommended: string;
  /** Current value, `(not found)` when the server did not return it. */
  readonly current: string;
  /** `pg_settings.source`, empty when not found. */
  readonly source: string;
  /** The verdict. */
  readonly status: AuditStatus;
}

/** A failed query: the error the driver threw. */
export interface QueryFailure {
  /** What was thrown; its message is shown (`String(e)` for non-errors). */
  readonly error: unknown;
}

/** Everything {@link formatAudit} needs. */
export interface AuditInput {
  /** What `recommend()` returned for the config. */
  readonly recommendations: ServerRecommendations;
  /** Rows of {@link PG_SETTINGS_SQL}, or the error it failed with. */
  readonly settings: readonly PgSettingRow[] | QueryFailure;
  /** Rows of {@link PG_HBA_FILE_RULES_SQL}; `null` (or the error) when it failed. */
  readonly hbaRules: readonly HbaFileRuleRow[] | QueryFailure | null;
}

/**
 * The verdict for one setting, as upstream's `_evaluate_status`:
 * `max_connections` is OK when the current value is at least the
 * recommendation (UNKNOWN when either is not an integer); `ssl` compares
 * case-insensitively (OK/MISMATCH); anything else is OK when equal after
 * stripping quotes, REVIEW otherwise. A `null` current value is UNKNOWN.
 *
 * @example
 * ```ts
 * import { evaluateStatus } from "./audit.ts";
 * evaluateStatus("max_connections", "22", "100"); // "OK"
 * evaluateStatus("ssl", "on", "off"); // "MISMATCH"
 * evaluateStatus("ssl_ca_file", "ca.crt", ""); // "REVIEW"
 * ```
 */
export function evaluateStatus(
  setting: string,
  recommended: string,
  current: string | null,
): AuditStatus {
  if (current === null) return "UNKNOWN";
  if (setting === "max_connections") {
    const cur = pyInt(current);
    const rec = pyInt(recommended);
    if (cur === undefined || rec === undefined) return "UNKNOWN";
    return cur >= rec ? "OK" : "MISMATCH";
  }
  if (setting === "ssl") {
    return current.toLowerCase() === recommended.toLowerCase() ? "OK" : "MISMATCH";
  }
  return stripQuotes(current) === stripQuotes(recommended) ? "OK" : "REVIEW";
}

/**
 * Compares recommended `name = value` lines with the rows of
 * {@link PG_SETTINGS_SQL}, in the order of the recommendations. Lines without
 * `=` are skipped; a setting the server did not return is `(not found)` /
 * UNKNOWN.
 *
 * @example
 * ```ts
 * import { compareSettings } from "./audit.ts";
 * const rows = [{ name: "ssl", setting: "off", source: "default" }];
 * compareSettings(["ssl = on"], rows);
 * // [{ setting: "ssl", recommended: "on", current: "off", source: "default", status: "MISMATCH" }]
 * ```
 */
export function compareSettings(
  recommended: readonly string[],
  rows: readonly PgSettingRow[],
): SettingComparison[] {
  const current = new Map<string, PgSettingRow>();
  for (const row of rows) current.set(row.name, row);
  const comparisons: SettingComparison[] = [];
  for (const entry of recommended) {
    const eq = entry.indexOf("=");
    if (eq < 0) continue;
    const setting = entry.slice(0, eq).trim();
    const value = stripQuotes(entry.slice(eq + 1).trim());
    const row = current.get(setting);
    if (row === undefined) {
      comparisons.push({
        setting,
        recommended: value,
        current: "(not found)",
        source: "",
        status: "UNKNOWN",
      });
      continue;
    }
    comparisons.push({
      setting,
      recommended: value,
      current: row.setting ?? "",
      source: row.source ?? "",
      status: evaluateStatus(setting, value, row.setting),
    });
  }
  return comparisons;
}

/**
 * The postgresql.conf audit table: title, header, `─` separator, one row per
 * comparison (every column padded, so rows keep trailing spaces), then one
 * blank line. Column widths are the longest of header and values.
 *
 * @example
 * ```ts
 * import { formatComparisonTable } from "./audit.ts";
 * formatComparisonTable([
 *   { setting: "ssl", recommended: "on", current: "on", source: "default", status: "OK" },
 * ]);
 * ```
 */
export function formatComparisonTable(comparisons: readonly SettingComparison[]): string {
  const width = (header: string, key: keyof SettingComparison): number =>
    Math.max(pyLen(header), ...comparisons.map((c) => pyLen(c[key])));
  const w = {
    setting: width("Setting", "setting"),
    recommended: width("Recommended", "recommended"),
    current: width("Current", "current"),
    source: width("Source", "source"),
    status: width("Status", "status"),
  };
  const row = (c: Record<keyof SettingComparison, string>): string =>
    `   ${pad(c.setting, w.setting)}  ${pad(c.recommended, w.recommended)}  ` +
    `${pad(c.current, w.current)}  ${pad(c.source, w.source)}  ${pad(c.status, w.status)}`;
  const total = w.setting + w.recommended + w.current + w.source + w.status + 8;
  const lines = [
    "   postgresql.conf:",
    "",
    row({
      setting: "Setting",
      recommended: "Recommended",
      current: "Current",
      source: "Source",
      status: "Status",
    }),
    `   ${"─".repeat(total)}`,
    ...comparisons.map(row),
    "",
  ];
  return lines.map((line) => `${line}\n`).join("");
}

/**
 * The text printed when {@link PG_SETTINGS_SQL} fails: a permission note when
 * the message mentions "permission" or "privilege", the message otherwise.
 *
 * @example
 * ```ts
 * import { formatSettingsQueryError } from "./audit.ts";
 * formatSettingsQueryError(new Error("permission denied for view pg_settings"));
 * // "\nNote: Could not query server settings (permission denied).\n" +
 * // "The connected role does not have access to pg_settings.\n"
 * ```
 */
export function formatSettingsQueryError(error: unknown): string {
  const message = errorMessage(error);
  const lower = message.toLowerCase();
  if (lower.includes("permission") || lower.includes("privilege")) {
    return "\nNote: Could not query server settings (permission denied).\n" +
      "The connected role does not have access to pg_settings.\n";
  }
  return `\nNote: Could not query server settings: ${message}\n`;
}

/**
 * The pg_hba.conf part of the audit. With rules: the current rules as a
 * table (arrays joined with `,`), then the recommended entries if there are
 * any. With `null`: the "not available" note and the recommendations.
 *
 * @example
 * ```ts
 * import { formatHbaSection } from "./audit.ts";
 * formatHbaSection([], [
 *   { line_number: 89, type: "local", database: ["all"], user_name: ["all"], auth_method: "trust" },
 * ]);
 * ```
 */
export function formatHbaSection(
  recommendedHba: readonly string[],
  rules: readonly HbaFileRuleRow[] | null,
): string {
  const entries = [PG_HBA_HEADER, ...recommendedHba].map((e) => `   ${e}`);
  const out: string[] = [];
  if (rules === null) {
    out.push(
      "   pg_hba.conf:",
      "   (pg_hba_file_rules not available or insufficient privileges - showing recommendations only)",
      "",
    );
    if (recommendedHba.length > 0) out.push("   Recommended pg_hba.conf entries:", "", ...entries);
    else out.push("   No entries needed for pg_hba.conf.");
    out.push("");
    return out.map((line) => `${line}\n`).join("");
  }
  out.push(
    "   pg_hba.conf:",
    "",
    "   Current server rules:",
    "",
    `   ${pad("Line", 6)} ${pad("Type", 10)} ${pad("Database", 12)} ${pad("User", 10)} ` +
      `${pad("Address", 20)} ${pad("Method", 8)} Options`,
    `   ${"─".repeat(80)}`,
  );
  for (const rule of rules) {
    out.push(
      `   ${pad(text(rule.line_number), 6)} ${pad(text(rule.type), 10)} ` +
        `${pad(joined(rule.database), 12)} ${pad(joined(rule.user_name), 10)} ` +
        `${pad(text(rule.address), 20)} ${pad(text(rule.auth_method), 8)} ${joined(rule.options)}`,
    );
  }
  out.push("");
  if (recommendedHba.length > 0) out.push("   Recommended entries:", "", ...entries, "");
  return out.map((line) => `${line}\n`).join("");
}

/**
 * The whole `--audit` stdout after a successful connection, every line ending
 * in `\n`.
 *
 * @example
 * ```ts
 * import { formatAudit } from "./audit.ts";
 * import { recommend } from "./recommend.ts";
 * const recommendations = recommend({ connection_settings: { host: "127.0.0.1" } })!;
 * formatAudit({ recommendations, settings: { error: new Error("boom") }, hbaRules: null });
 * ```
 */
export function formatAudit(input: AuditInput): string {
  const { recommendations: rec, settings, hbaRules } = input;
  let out = "1) Database type detected: PostgreSQL\n\n2) Server settings audit:\n\n";
  if (isFailure(settings)) {
    out += formatSettingsQueryError(settings.error);
    out += "   Showing recommendations only.\n\n";
    if (rec.postgresqlConf.length > 0) {
      out += "   postgresql.conf:\n\n";
      out += rec.postgresqlConf.map((e) => `   ${e}\n`).join("");
    }
    out += "\n";
  } else {
    out += formatComparisonTable(compareSettings(rec.postgresqlConf, settings));
  }
  out += "\n";
  out += formatHbaSection(rec.pgHba, hbaRules === null || isFailure(hbaRules) ? null : hbaRules);
  return out;
}

/**
 * The `--strict` verdict of an audit: the settings whose status is
 * MISMATCH, or `undefined` when the settings could not be read (nothing
 * was verified).
 *
 * @example
 * ```ts
 * import { auditMismatches } from "./audit.ts";
 * auditMismatches(["ssl = on"], [{ name: "ssl", setting: "off", source: "default" }]); // ["ssl"]
 * auditMismatches(["ssl = on"], { error: new Error("permission denied") }); // undefined
 * ```
 */
export function auditMismatches(
  recommended: readonly string[],
  settings: readonly PgSettingRow[] | QueryFailure,
): string[] | undefined {
  if (isFailure(settings)) return undefined;
  return compareSettings(recommended, settings)
    .filter((c) => c.status === "MISMATCH")
    .map((c) => c.setting);
}

function isFailure(value: unknown): value is QueryFailure {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "error" in value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Python `str.strip("'\"")`. */
function stripQuotes(value: string): string {
  return value.replace(/^['"]+|['"]+$/g, "");
}

/** Python `len()`: code points, not UTF-16 units. */
function pyLen(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** Python `f"{value:<width}"`. */
function pad(value: string, width: number): string {
  return value + " ".repeat(Math.max(0, width - pyLen(value)));
}

function text(value: string | number | null | undefined): string {
  return value === null || value === undefined ? "" : String(value);
}

/** `','.join(array)`, also for a PostgreSQL array literal the driver left as text. */
function joined(value: readonly string[] | string | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return value.join(",");
  if (!value.startsWith("{") || !value.endsWith("}")) return value;
  const items: string[] = [];
  const body = value.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    let item = "";
    if (body[i] === '"') {
      for (i++; i < body.length && body[i] !== '"'; i++) {
        if (body[i] === "\\") i++;
        item += body[i] ?? "";
      }
      i++;
    } else {
      for (; i < body.length && body[i] !== ","; i++) item += body[i];
    }
    items.push(item);
    i++; // the comma
  }
  return items.join(",");
}
