/**
 * Where a fault scenario's database is, and a plain admin connection to it
 * (postgres.js alone, so that checking the outcome never depends on the layer
 * under test).
 *
 * @module
 */
import postgres from "postgres";

/** A server and database a scenario works on. */
export interface FaultTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  dbname: string;
}

/** The environment variable a test passes a {@link FaultTarget} in (JSON). */
export const TARGET_ENV = "PGM_FAULT_TARGET";

/** The target the test passed in. */
export function faultTarget(): FaultTarget {
  const raw = Deno.env.get(TARGET_ENV);
  if (!raw) throw new Error(`${TARGET_ENV} is not set: run the scenario through its test`);
  return JSON.parse(raw) as FaultTarget;
}

/** `connection_settings` for `target` (plaintext), plus `extra`. */
export function connectionSettings(
  target: FaultTarget,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    dbname: target.dbname,
    sslmode: "disable",
    connect_timeout: 3,
    ...extra,
  };
}

/** A plain postgres.js connection to `target` (reconnects by itself after a restart). */
export function adminSql(target: FaultTarget): postgres.Sql {
  return postgres({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.dbname,
    max: 1,
    onnotice: () => {},
    connect_timeout: 5,
  });
}

/** The ids in `table` (to compare with the acknowledged ones). */
export async function idsIn(admin: postgres.Sql, table: string): Promise<number[]> {
  const rows = await admin`SELECT id FROM ${admin(table)}`;
  return rows.map((r) => r.id as number);
}

/** How many backends with `application_name = app` the server has. */
export async function backendsOf(admin: postgres.Sql, app: string): Promise<number> {
  const [{ n }] = await admin`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${app}`;
  return n as number;
}
