/**
 * Workaround file (postgres.js 3.4.9): creating an instance whose options are
 * exactly ours.
 *
 * Upstream behaviour: postgres.js reads `PGTARGETSESSIONATTRS` from the
 * environment whenever its own `target_session_attrs` option is falsy, and
 * then checks every session it opens itself (and, for `prefer-standby`,
 * closes a primary it is given). Our layer implements `target_session_attrs`
 * (host lists, libpq's rules) and hands postgres.js a connection that already
 * passed, so the variable is hidden while the instance is created (options
 * are read synchronously in `postgres()`). Every other option postgres.js
 * would take from the environment is passed explicitly by `../options.ts`.
 * The canary test `tests/connect/postgresjs_canary.test.ts` checks that the
 * variable still reaches postgres.js when not hidden.
 *
 * @module
 */
import postgres from "postgres";
import process from "node:process";

const HIDDEN = ["PGTARGETSESSIONATTRS"] as const;

/** `postgres(options)`, with the environment variables above hidden while it reads its options. */
export function createInstance(options: Record<string, unknown>): postgres.Sql {
  const saved: [string, string][] = [];
  for (const name of HIDDEN) {
    const value = readEnv(name);
    if (value !== undefined) {
      saved.push([name, value]);
      delete process.env[name];
    }
  }
  try {
    return postgres(
      options as postgres.Options<Record<string, postgres.PostgresType>>,
    ) as unknown as postgres.Sql;
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}

function readEnv(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined; // no permission to read the environment: postgres.js cannot read it either
  }
}
