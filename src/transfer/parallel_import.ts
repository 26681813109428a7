/**
 * A parallel import into a new table: N sessions each run one
 * `COPY … FROM STDIN` into the same staging table while one reader converts
 * the file and hands every block of rows to whichever stream is free (the
 * shape of timescaledb-parallel-copy: one reader, N COPY workers).
 *
 * All or nothing, and how:
 *
 * 1. The staging table `"<schema>"."pgmonkey_import_<random>"` is created
 *    (TEXT columns, marked with a comment) in one transaction together with
 *    a session advisory lock on its oid, held by the first session until
 *    the end.
 * 2. The N COPY streams fill it; each commits when its stream ends.
 * 3. Only when every stream succeeded and the row counts add up is the
 *    staging table renamed to the target (one statement, atomic; its comment
 *    removed in the same transaction). The target never exists partly
 *    filled: it appears with all rows or not at all.
 * 4. Any failure (a malformed row, a server error on any stream, a lost
 *    connection) cancels every stream and drops the staging table.
 * 5. If the process dies (kill -9, power loss) before 3, the target still
 *    does not exist; the staging table may be left behind, holding the rows
 *    copied so far. Its advisory lock ended with the session, so the next
 *    parallel import into that schema finds it unlocked and drops it. A
 *    staging table still locked belongs to an import in progress and is
 *    left alone.
 *
 * @example
 * ```ts ignore
 * const rows = await importParallel({ db, table, columns, plan, jobs: 2, progress: undefined });
 * ```
 *
 * @module
 */
import type { BorrowedConnection, PGConnection, ReservedSql } from "../connect/handle.ts";
import type { ConverterPlan } from "./converters.ts";
import { CopySink } from "./copy_sink.ts";
import type { TableName } from "./paths.ts";
import type { Progress } from "./progress.ts";
import { pumpFile } from "./pump.ts";
import { qualifiedName, quoteIdent, quoteLiteral } from "./sql.ts";
import { copyFromStatement } from "./copy_statement.ts";

/** Name prefix of staging tables. */
export const STAGING_PREFIX = "pgmonkey_import_";
/** The comment that marks a staging table as ours (the janitor drops nothing else). */
export const STAGING_COMMENT = "pgmonkey pgimport staging table: dropped when its import ends";
/** First key of the advisory locks on staging tables (`pgmk`). */
const LOCK_CLASS = 0x70676d6b;

/** The advisory lock key of a staging table: its oid as an int4. */
const lockKey = (oid: string) => `(${oid}::oid::bigint - 2147483648)::int4`;

/** Options of {@link importParallel}. */
export interface ParallelImportOptions {
  /** A handle that can lend `jobs` connections at once. */
  readonly db: PGConnection;
  /** The target table (must not exist). */
  readonly table: TableName;
  /** The target's column names. */
  readonly columns: readonly string[];
  /** The converter plan (binary when possible). */
  readonly plan: ConverterPlan;
  /** COPY streams. */
  readonly jobs: number;
  /** Progress display, if any. */
  readonly progress: Progress | undefined;
}

/**
 * Drops staging tables in `schema` left behind by imports whose process
 * died (their advisory lock is free). Errors (say, a table of another owner)
 * leave that table alone.
 */
export async function dropAbandonedStaging(sql: ReservedSql, schema: string): Promise<string[]> {
  const rows = await sql.unsafe<{ oid: string; relname: string }[]>(
    `SELECT c.oid::text AS oid, c.relname FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname LIKE $2
       AND obj_description(c.oid, 'pg_class') = $3`,
    [schema, `${STAGING_PREFIX.replaceAll("_", "\\_")}%`, STAGING_COMMENT],
  );
  const dropped: string[] = [];
  for (const { oid, relname } of rows) {
    const [{ free }] = await sql.unsafe<{ free: boolean }[]>(
      `SELECT pg_try_advisory_lock(${LOCK_CLASS}, ${lockKey(quoteLiteral(oid))}) AS free`,
    );
    if (!free) continue; // an import in progress
    try {
      await sql.unsafe(`DROP TABLE ${qualifiedName({ schema, table: relname })}`);
      dropped.push(relname);
    } catch {
      // not ours to drop after all
    } finally {
      await sql.unsafe(
        `SELECT pg_advisory_unlock(${LOCK_CLASS}, ${lockKey(quoteLiteral(oid))})`,
      );
    }
  }
  return dropped;
}

/**
 * Imports `plan.file` into the new table `table` with `jobs` COPY streams
 * (see the module documentation for the all-or-nothing guarantee).
 * Resolves to the rows imported.
 */
export async function importParallel(options: ParallelImportOptions): Promise<number> {
  const { db, table, columns, plan, jobs } = options;
  const held: BorrowedConnection[] = [];
  try {
    for (const c of await Promise.allSettled(Array.from({ length: jobs }, () => db.acquire()))) {
      if (c.status === "fulfilled") held.push(c.value);
      else throw c.reason;
    }
    const lead = held[0].sql;
    await dropAbandonedStaging(lead, table.schema);
    const stage: TableName = {
      schema: table.schema,
      table: `${STAGING_PREFIX}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`,
    };
    const stageName = qualifiedName(stage);
    await lead.unsafe("BEGIN");
    try {
      await lead.unsafe(
        `CREATE TABLE ${stageName} (${columns.map((c) => `${quoteIdent(c)} TEXT`).join(", ")})`,
      );
      await lead.unsafe(`COMMENT ON TABLE ${stageName} IS ${quoteLiteral(STAGING_COMMENT)}`);
      await lead.unsafe(
        `SELECT pg_advisory_lock(${LOCK_CLASS}, ${
          lockKey(`${quoteLiteral(stageName)}::regclass`)
        })`,
      );
      await lead.unsafe("COMMIT");
    } catch (e) {
      await lead.unsafe("ROLLBACK").catch(() => {});
      throw e;
    }
    const unlock = () =>
      lead.unsafe(
        `SELECT pg_advisory_unlock_all()`,
      ).catch(() => {});
    try {
      const statement = copyFromStatement(stage, columns, plan);
      const sinks = await Promise.all(
        held.map((c) => CopySink.open(c.sql, statement, plan.binary === true)),
      );
      const rows = await pumpFile(plan, sinks, options.progress);
      await lead.unsafe("BEGIN");
      try {
        await lead.unsafe(`ALTER TABLE ${stageName} RENAME TO ${quoteIdent(table.table)}`);
        await lead.unsafe(`COMMENT ON TABLE ${qualifiedName(table)} IS NULL`);
        await lead.unsafe("COMMIT");
      } catch (e) {
        await lead.unsafe("ROLLBACK").catch(() => {});
        throw e;
      }
      return rows;
    } catch (e) {
      await lead.unsafe(`DROP TABLE IF EXISTS ${stageName}`).catch(() => {});
      throw e;
    } finally {
      await unlock();
    }
  } finally {
    for (const c of held) c.release();
  }
}
