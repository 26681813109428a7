/**
 * `pgmonkey pgserverconfig [--audit]`: server-side settings a config file needs,
 * optionally compared with a live server.
 *
 * @module
 */
import {
  CONFIG_NOT_AVAILABLE,
  formatRecommendations,
  recommend,
  type ServerRecommendations,
} from "../server/recommend.ts";
import {
  formatAudit,
  formatAuditConnectFailure,
  type HbaFileRuleRow,
  PG_HBA_FILE_RULES_SQL,
  PG_SETTINGS_SQL,
  type PgSettingRow,
  type QueryFailure,
} from "../server/audit.ts";
import { setWarningHandler, validateConfig } from "../config/mod.ts";
import { pyTruthy } from "../config/values.ts";
import { PGConnectionManager } from "../connect/manager.ts";
import type { PGConnection } from "../connect/handle.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";
import { loadConfigForCli } from "./config_file.ts";
import { describeError, reportError, type Secrets } from "./output.ts";

/** Runs one query in its own read-only transaction on one borrowed connection. */
async function readOnlyQuery<T>(db: PGConnection, query: string): Promise<T[]> {
  await using conn = await db.acquire();
  await conn.sql.unsafe("BEGIN TRANSACTION READ ONLY");
  try {
    return [...await conn.sql.unsafe(query)] as T[];
  } finally {
    await conn.sql.unsafe("ROLLBACK");
  }
}

/** A query failure whose message is redacted. */
function failure(e: unknown, secrets: Secrets): QueryFailure {
  return { error: new Error(secrets.redact(describeError(e))) };
}

/**
 * The audit part: connects with type `normal`, runs the two audit queries
 * read-only and formats the report; falls back to the recommendations when
 * the connection fails (exit status 1) or a query is not permitted (exit
 * status 0, as the report says what is missing).
 */
async function audit(
  path: string,
  rec: ServerRecommendations,
  args: ParsedArgs,
  ctx: CommandContext,
): Promise<number> {
  const manager = new PGConnectionManager();
  try {
    let db: PGConnection;
    try {
      db = await manager.getDatabaseConnection(path, "normal", {
        resolveEnv: args.flag("resolve-env"),
        allowSensitiveDefaults: args.flag("allow-sensitive-defaults"),
      });
    } catch (e) {
      ctx.io.stdout(formatAuditConnectFailure(ctx.secrets.redact(describeError(e)), rec));
      return 1;
    }
    let settings: readonly PgSettingRow[] | QueryFailure;
    try {
      settings = await readOnlyQuery<PgSettingRow>(db, PG_SETTINGS_SQL);
    } catch (e) {
      settings = failure(e, ctx.secrets);
    }
    let hbaRules: readonly HbaFileRuleRow[] | null;
    try {
      hbaRules = await readOnlyQuery<HbaFileRuleRow>(db, PG_HBA_FILE_RULES_SQL);
    } catch {
      hbaRules = null;
    }
    ctx.io.stdout(formatAudit({ recommendations: rec, settings, hbaRules }));
    return 0;
  } finally {
    await manager.clearCache();
  }
}

/**
 * Checks the config with the validator every other command uses (same
 * one-line errors). Without `--resolve-env`, `${VAR}` / `from_env` /
 * `from_file` references are left unchecked: they are not interpolated, and
 * the recommendations do not depend on them. With `--audit` the connection
 * validates the config again, so the warnings (unknown keys) are left to it.
 */
function validateForServer(path: string, config: unknown, args: ParsedArgs): void {
  const quiet = args.flag("audit") ? setWarningHandler(() => {}) : undefined;
  try {
    validateConfig(config, { file: path, allowUnresolved: !args.flag("resolve-env") });
  } finally {
    if (quiet !== undefined) setWarningHandler(quiet);
  }
}

/**
 * Loads the config (with our loader; interpolated with `--resolve-env`),
 * validates it like `pgconfig test` does, prints `formatRecommendations` —
 * or, with `--audit`, the audit report.
 * A missing, unreadable or invalid file, or a config that fails validation
 * (`min_size` above `max_size`, `port: abc`, a bad `sslmode`, `max_size`
 * above 10000…), prints the error on stderr and
 * `Configuration data is not available…` on stdout, exit status 1; so does
 * an empty config. A config the rules cannot handle (no host…) prints the
 * error and exits 1.
 *
 * @example
 * ```ts ignore
 * // pgmonkey pgserverconfig --filepath pg.yaml --audit
 * ```
 */
export async function runPgserverconfig(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const path = args.string("filepath")!;
  let config: unknown;
  try {
    ({ config } = await loadConfigForCli(path, {
      resolveEnv: args.flag("resolve-env"),
      allowSensitiveDefaults: args.flag("allow-sensitive-defaults"),
    }, ctx.secrets));
    // An empty config is reported below, as upstream prints it.
    if (pyTruthy(config)) validateForServer(path, config, args);
  } catch (e) {
    const status = reportError(ctx.io, "pgmonkey: error: ", e, ctx.secrets);
    ctx.io.stdout(`${CONFIG_NOT_AVAILABLE}\n`);
    return status;
  }
  const rec = recommend(config);
  if (rec === null) {
    ctx.io.stderr(`pgmonkey: error: ${path}: the file holds no configuration\n`);
    ctx.io.stdout(formatRecommendations(null));
    return 1;
  }
  if (!args.flag("audit")) {
    ctx.io.stdout(formatRecommendations(rec));
    return 0;
  }
  return await audit(path, rec, args, ctx);
}
