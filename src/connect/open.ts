/**
 * Opens a connection handle for a validated config: TLS plan, transport,
 * postgres.js instance, warm-up. Turns failures into one-line
 * `ConnectionError`s that name user, host, port and database but never the
 * password.
 *
 * @module
 */
import postgres from "postgres";
import process from "node:process";
import { userInfo } from "node:os";
import type { ConnectionType, PgMonkeyConfig } from "../config/types.ts";
import { ConfigError, ConnectionError, type ConnectionTarget } from "../errors.ts";
import { PGConnection } from "./handle.ts";
import { defaultHost, driverOptions, planConnection } from "./options.ts";
import { planTls } from "./tls.ts";
import { createTransport } from "./transport.ts";

/** libpq's default role name: `PGUSER`, else the OS user. */
export function defaultUser(): string {
  const env = process.env.PGUSER;
  if (env) return env;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? "postgres";
  }
}

/** Where a connection goes, for messages. */
export function connectionTarget(config: PgMonkeyConfig): ConnectionTarget {
  const s = config.connection_settings;
  return { host: defaultHost(s), port: s.port ?? 5432, user: s.user, dbname: s.dbname };
}

/** Text of an error, with every occurrence of `secrets` masked. */
export function scrub(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join("***REDACTED***");
  return out;
}

/** One-line reason for a failed connection attempt. */
export function describeConnectError(e: unknown, sessionSection: string): string {
  const err = e as { message?: string; code?: string; severity?: string };
  let reason = String(err?.message ?? e).split("\n")[0];
  if (err?.code === "ECONNREFUSED") reason = "connection refused";
  else if (err?.code === "ENOTFOUND") reason = "host not found";
  else if (err?.code === "CONNECT_TIMEOUT") reason = "connection timed out";
  if (err?.severity) reason = `${err.severity}: ${reason}`;
  if (err?.code === "42704" || /configuration parameter|invalid value for parameter/.test(reason)) {
    reason += ` (check ${sessionSection})`;
  }
  return reason;
}

/**
 * Opens a handle of the given type. Dedicated types open their connection
 * now; pools open `min_size` connections now (at least one, so a bad config
 * fails here rather than at the first query).
 *
 * @example
 * ```ts ignore
 * import { openConnection } from "./open.ts";
 * const db = await openConnection(validatedConfig, "pool");
 * ```
 */
export async function openConnection(
  config: PgMonkeyConfig,
  type: ConnectionType,
): Promise<PGConnection> {
  const plan = planConnection(config, type);
  const target = connectionTarget(config);
  const options = driverOptions(plan);
  let transport;
  try {
    const tls = await planTls(config.connection_settings);
    transport = createTransport({
      host: options.host,
      port: options.port,
      tls,
      connectTimeout: options.connect_timeout,
      keepAlive: options.keep_alive,
      idleTimeout: plan.pooled && Number.isFinite(plan.pool.maxIdle) ? plan.pool.maxIdle : null,
      maxLifetime: plan.pooled && Number.isFinite(plan.pool.maxLifetime)
        ? plan.pool.maxLifetime
        : null,
      keepOpen: () => plan.pool.minSize,
      user: options.user ?? defaultUser(),
      database: options.database,
    });
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConnectionError(
      scrub(describeConnectError(e, plan.sessionSection), [options.password]),
      target,
      {
        cause: e,
      },
    );
  }
  const sql = postgres(
    { ...options, socket: transport.socket } as unknown as postgres.Options<
      Record<string, postgres.PostgresType>
    >,
  );
  const handle = new PGConnection(plan, sql as unknown as postgres.Sql, transport);
  try {
    await handle.warmUp();
  } catch (e) {
    await handle.close(0);
    const code = (e as { code?: string })?.code;
    throw new ConnectionError(
      scrub(describeConnectError(e, plan.sessionSection), [options.password]),
      target,
      { cause: e, code },
    );
  }
  return handle;
}
