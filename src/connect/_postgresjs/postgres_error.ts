/**
 * Workaround file (postgres.js 3.4.9): building a `PostgresError` ourselves.
 *
 * Upstream behaviour relied on: `new postgres.PostgresError(fields)` takes the
 * parsed fields of an ErrorResponse (`{ severity, code, message, … }`) and
 * copies them onto the error, exactly as postgres.js does for errors it reads
 * itself. The constructor's argument is not documented; the canary test
 * `tests/connect/postgresjs_canary.test.ts` fails when it changes.
 *
 * @module
 */
import postgres from "postgres";

/** A `PostgresError` (instanceof-compatible with postgres.js's) carrying `fields`. */
export function makePostgresError(fields: Record<string, string>): postgres.PostgresError {
  return new postgres.PostgresError(fields as unknown as string);
}
