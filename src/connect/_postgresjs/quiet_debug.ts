/**
 * Workaround file (postgres.js 3.4.9): our own statements out of the user's
 * `debug` hook.
 *
 * Upstream behaviour relied on: postgres.js calls `options.debug(connection,
 * query, parameters, types)` for every query it builds, reading `debug` from
 * the instance's live options object (`sql.options`) each time. postgres.js
 * connects lazily, with the user's first query; our connections log in
 * first, with an empty query (and fetch the array types), which a user's
 * `debug` hook would otherwise see as the first query of every connection.
 * The hook is switched off while a new connection runs those. The canary
 * test `tests/connect/postgresjs_tagged_query.test.ts` checks that postgres.js
 * still reads `debug` from `sql.options` when it builds a query.
 *
 * @module
 */
import type postgres from "postgres";

/** Runs `fn` (statements of ours on `sql`) with `sql`'s `debug` hook off. */
export async function withoutDebug<T>(sql: postgres.Sql, fn: () => Promise<T>): Promise<T> {
  const options = sql.options as unknown as { debug?: unknown };
  const debug = options.debug;
  if (typeof debug !== "function") return await fn();
  options.debug = false;
  try {
    return await fn();
  } finally {
    options.debug = debug;
  }
}
