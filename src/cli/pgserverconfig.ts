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
  auditMismatches,
  formatAudit,
  type HbaFileRuleRow,
  PG_HBA_FILE_RULES_SQL,
  PG_SETTINGS_SQL,
  type PgSettingRow,
  type QueryFailure,
} from "../server/audit.ts";
import { type PGConnection, PGConnectionManager } from "../../mod.ts";
import { connectLoaded, type LoadedConfig, pyTruthy } from "../../internal.ts";
import { validateConfig } from "../../mod.ts";
import { type ParsedArgs, usageError } from "./args.ts";
import { type CommandContext, PGSERVERCONFIG } from "./commands.ts";
import { loadConfigForCli } from "./config_file.ts";
import { describeError, reportError, type Secrets } from "./output.ts";

/** Runs one query in its own read-only transaction on one borrowed connection. */
async function readOnlyQuery<T>(db: PGConnection, query: string): Promise<T[]> {
  const conn = await db.acquire();
  try {
    await conn.sql.unsafe("BEGIN TRANSACTION READ ONLY");
    try {
      return [...await conn.sql.unsafe(query)] as T[];
    } finally {
      await conn.sql.unsafe("ROLLBACK");
    }
  } finally {
    conn.release();
  }
}

/** A query failure whose message is redacted. */
function failure(e: unknown, secrets: Secrets): QueryFailure {
  return { error: new Error(secrets.redact(describeError(e))) };
}

/**
 * The audit part: connects with type `normal`, runs the two audit queries
 * read-only and prints the report. When the connection fails: one line on
 * stderr, the plain recommendations on stdout, exit status 1. A query that
 * is not permitted is reported in the report (exit status 0). With
 * `strict`, a setting with status MISMATCH (or settings that could not be
 * read) gives one line on stderr and exit status 1.
 */
async function audit(
  loaded: LoadedConfig,
  rec: ServerRecommendations,
  strict: boolean,
  ctx: CommandContext,
): Promise<number> {
  const manager = new PGConnectionManager({ onWarning: ctx.onWarning });
  try {
    let db: PGConnection;
    try {
      db = await connectLoaded(manager, loaded, "normal");
    } catch (e) {
      ctx.io.stderr(
        `pgmonkey: error: could not connect to the server for the audit, showing the ` +
          `recommendations only: ${ctx.secrets.redact(describeError(e))}\n`,
      );
      ctx.io.stdout(formatRecommendations(rec));
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
    if (!strict) return 0;
    const mismatched = auditMismatches(rec.postgresqlConf, settings);
    if (mismatched === undefined) {
      ctx.io.stderr("pgmonkey: audit failed (--strict): the server settings could not be read\n");
      return 1;
    }
    if (mismatched.length > 0) {
      ctx.io.stderr(
        `pgmonkey: audit failed (--strict): MISMATCH for ${mismatched.join(", ")}\n`,
      );
      return 1;
    }
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
function validateForServer(loaded: LoadedConfig, args: ParsedArgs, ctx: CommandContext): void {
  validateConfig(loaded.resolved, {
    file: loaded.file,
    allowUnresolved: !args.flag("resolve-env"),
    onWarning: args.flag("audit") ? () => {} : ctx.onWarning,
  });
}

/**
 * Loads the config (with our loader; interpolated with `--resolve-env`),
 * validates it like `pgconfig test` does, prints `formatRecommendations` —
 * or, with `--audit`, the audit report (with `--strict`, exit status 1 when
 * a setting is MISMATCH).
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
  if (args.flag("strict") && !args.flag("audit")) {
    usageError(PGSERVERCONFIG, "argument --strict: only with --audit");
  }
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfigForCli(path, args, ctx);
    // An empty config is reported below, as upstream prints it.
    if (pyTruthy(loaded.resolved)) validateForServer(loaded, args, ctx);
  } catch (e) {
    const status = reportError(ctx.io, "pgmonkey: error: ", e, ctx.secrets);
    ctx.io.stdout(`${CONFIG_NOT_AVAILABLE}\n`);
    return status;
  }
  const rec = recommend(loaded.resolved);
  if (rec === null) {
    ctx.io.stderr(`pgmonkey: error: ${path}: the file holds no configuration\n`);
    ctx.io.stdout(formatRecommendations(null));
    return 1;
  }
  if (!args.flag("audit")) {
    ctx.io.stdout(formatRecommendations(rec));
    return 0;
  }
  return await audit(loaded, rec, args.flag("strict"), ctx);
}
