/**
 * Opens a connection handle for a validated config: TLS plan, host list,
 * connection options, pool, warm-up. Turns failures into one-line
 * `ConnectionError`s that name user, host, port and database but never the
 * password.
 *
 * @module
 */
import process from "node:process";
import { userInfo } from "node:os";
import type { ConnectionType, PgMonkeyConfig } from "../config/types.ts";
import { ConfigError, ConnectionError, type ConnectionTarget } from "../errors.ts";
import { emitWarning } from "../config/warn.ts";
import { PGConnection } from "./handle.ts";
import {
  checkPassthrough,
  connectionOptions,
  connectTimeoutSeconds,
  defaultHost,
  endpointsOf,
  keepAliveSeconds,
  planConnection,
  type PostgresPassthrough,
} from "./options.ts";
import { planTls } from "./tls.ts";
import { Pool } from "./pool.ts";
import type { ConnSettings } from "./conn.ts";
import { type ConnectPlan, negotiateAny } from "./connector.ts";
import { createInstance } from "./_postgresjs/create.ts";
import { failedSocket } from "./_postgresjs/failed_socket.ts";
import { TypeRegistry } from "./_postgresjs/type_registry.ts";
import { TrackedSocket } from "./transport/tracked_socket.ts";

/** Options of {@link openConnection}. */
export interface OpenOptions {
  /** postgres.js options passed through to every connection (see `PASSTHROUGH_POSTGRES_OPTIONS`). */
  postgres?: PostgresPassthrough;
  /**
   * Seconds per connection attempt, exactly (fractions allowed), instead of
   * the config's libpq-style `connect_timeout` (whole seconds, at least 2).
   * For the postgres.js adapter (`src/compat/`), whose `connect_timeout` means this.
   */
  connectTimeout?: number;
}

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
  let reason = String(err?.message ?? e).split("\n")[0]
    // ConnectionError names the target already.
    .replace(/^could not connect to (?!any of )[^:]+(:\d+)?( \([^)]*\))?: /, "");
  if (err?.severity) reason = `${err.severity}: ${reason}`;
  if (err?.code === "42704" || /configuration parameter|invalid value for parameter/.test(reason)) {
    reason += ` (check ${sessionSection})`;
  }
  return reason;
}

/** The default NOTICE handler: server WARNINGs become pgmonkey warnings; the rest is dropped. */
function defaultNotice(notice: Record<string, unknown>): void {
  const severity = String(notice.severity ?? notice.severity_local ?? "");
  if (severity === "WARNING") emitWarning(`server WARNING: ${String(notice.message ?? "")}`);
}

/**
 * Seconds without traffic after which a busy connection is considered
 * stalled: the session's `statement_timeout` (when set) plus a grace, since
 * the server itself would have answered by then.
 */
function stallTimeout(session: Record<string, string>): number {
  const raw = session.statement_timeout;
  if (raw === undefined) return 0;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/.exec(raw);
  if (!m) return 0;
  const unit = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 }[m[2] ?? "ms"]!;
  const seconds = Number(m[1]) * unit;
  return seconds > 0 ? seconds + 5 : 0;
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
  options: OpenOptions = {},
): Promise<PGConnection> {
  checkPassthrough(options.postgres as Record<string, unknown> | undefined);
  const plan = planConnection(config, type);
  const target = connectionTarget(config);
  const settings = plan.settings;
  const password = settings.password;
  const fail = (e: unknown) => {
    if (e instanceof ConfigError || e instanceof ConnectionError) return e;
    const code = (e as { code?: string })?.code;
    return new ConnectionError(
      scrub(describeConnectError(e, plan.sessionSection), [password]),
      target,
      { cause: e, code },
    );
  };
  let tls;
  try {
    tls = await planTls(settings);
  } catch (e) {
    throw fail(e);
  }
  const connect: ConnectPlan = {
    endpoints: endpointsOf(settings),
    tls,
    connectTimeout: options.connectTimeout ?? connectTimeoutSeconds(settings),
    keepAlive: keepAliveSeconds(settings),
    targetSessionAttrs: "any",
    loadBalanceHosts: false,
  };
  const user = settings.user ?? defaultUser();
  const input = {
    user,
    database: settings.dbname ?? user,
    pass: () => password ?? "",
    passthrough: options.postgres,
    onnotice: defaultNotice,
  };
  const connSettings: ConnSettings = {
    instanceOptions: (endpoint) => connectionOptions(plan, endpoint, input),
    registry: new TypeRegistry(options.postgres?.fetch_types !== false),
    typeOptions: {
      types: options.postgres?.types,
      transform: options.postgres?.transform,
    },
    stallTimeout: stallTimeout(plan.session),
    cancelSocket: (endpoint, useTls) => negotiateAny(connect, { endpoint, tls: useTls }),
  };
  const pool = new Pool({
    type,
    pooled: plan.pooled,
    ...plan.pool,
    connect,
    conn: connSettings,
    connectError: fail,
  });
  // The front instance builds db.sql's statements; its own connections (LISTEN,
  // logical replication) go through our transport too.
  const front = createInstance({
    ...connSettings.instanceOptions(connect.endpoints[0]),
    socket: () =>
      negotiateAny(connect).then(
        (n) =>
          new TrackedSocket(n.socket, {}, {
            host: connect.endpoints[0].host,
            port: connect.endpoints[0].port,
            tls: n.tls,
          }).socket,
        (e) => failedSocket(fail(e), connect.endpoints[0]),
      ),
  });
  const label = `${user}@${target.host}:${target.port}/${settings.dbname ?? user}`;
  const handle = new PGConnection({
    plan,
    pool,
    front,
    label,
    dedicatedBoundMs: connect.connectTimeout * 1000,
  });
  try {
    await pool.warmUp();
  } catch (e) {
    await handle.close(0);
    throw fail(e);
  }
  connSettings.registry.apply(front);
  return handle;
}
