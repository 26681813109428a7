/**
 * Opens a connection handle for a validated config: TLS plan, host list,
 * connection options, pool, warm-up. Turns failures into one-line
 * `ConnectionError`s that name user, host, port and database but never the
 * password.
 *
 * @module
 */
import type postgres from "postgres";
import type { ConnectionType, NoticeMode, PgMonkeyConfig } from "../config/types.ts";
import { Observer } from "./observe.ts";
import { ConfigError, ConnectionError, type ConnectionTarget } from "../errors.ts";
import { printWarning, type WarningHandler } from "../config/warn.ts";
import { PGConnection } from "./handle.ts";
import {
  checkPassthrough,
  connectionOptions,
  DEFAULT_CONNECT_TIMEOUT,
  planConnection,
  type PostgresPassthrough,
  setLocalStatements,
} from "./options.ts";
import {
  type LibpqEnvironment,
  libpqHome,
  passwordFor,
  type ResolvedTarget,
  resolveTarget,
  settingsFor,
  systemLibpqEnvironment,
  type TargetHost,
} from "../libpq/mod.ts";
import type { Endpoint, SocketFunction } from "./transport/negotiate.ts";
import { planTls } from "./tls.ts";
import { Pool } from "./pool.ts";
import type { ConnSettings } from "./conn.ts";
import { type ConnectPlan, HostRotation, negotiateAny } from "./connector.ts";
import { createInstance } from "./_postgresjs/create.ts";
import { failedSocket } from "./_postgresjs/failed_socket.ts";
import { TypeRegistry } from "./_postgresjs/type_registry.ts";
import { internalsProblem } from "./_postgresjs/version.ts";
import { TrackedSocket } from "./transport/tracked_socket.ts";

/** Options of {@link openConnection}. */
export interface OpenOptions {
  /** postgres.js options passed through to every connection (see `PASSTHROUGH_POSTGRES_OPTIONS`). */
  postgres?: PostgresPassthrough;
  /** The config file, for messages. */
  file?: string;
  /** libpq's environment (PG* variables, files, OS user); default: this process's. */
  environment?: LibpqEnvironment;
  /** Receives warnings (server WARNINGs, an insecure `.pgpass`…); default: printed to stderr. */
  onWarning?: WarningHandler;
  /** User code run once on every new physical connection before first use. */
  onConnect?: (sql: postgres.Sql) => unknown;
  /**
   * The password, asked for by every new physical connection (cloud IAM
   * tokens, rotating secrets); wins over the config and libpq's sources.
   */
  password?: () => string | undefined | Promise<string | undefined>;
  /** Short id of the handle, for diagnostics. */
  id?: string;
  /**
   * Seconds per connection attempt, exactly (fractions allowed), instead of
   * the config's libpq-style `connect_timeout` (whole seconds, at least 2).
   * For the postgres.js adapter (`src/compat/`), whose `connect_timeout` means this.
   */
  connectTimeout?: number;
  /**
   * For the postgres.js adapter: postgres.js's `socket` option, called for
   * every connection instead of opening one (TLS is still negotiated on it).
   */
  socket?: SocketFunction;
  /**
   * For the postgres.js adapter: postgres.js's host order (first
   * connections go to the first host; one that replaces a closed connection
   * starts at the host after that one's) instead of libpq's.
   */
  rotateHosts?: boolean;
  /**
   * For the postgres.js adapter: the form in which its callers get a
   * failed connection attempt (postgres.js's own errors).
   */
  connectError?: (e: ConnectionError) => Error;
}

/** Where a connection goes, for messages: the first host of the resolved target. */
export function connectionTarget(target: ResolvedTarget): ConnectionTarget {
  const h = target.hosts[0];
  return {
    host: h ? (h.kind === "unix" ? h.host : h.host || h.address) : "localhost",
    port: h?.port ?? 5432,
    user: target.user,
    dbname: target.dbname,
  };
}

/** The transport's view of a libpq host. */
export function endpointOf(h: TargetHost): Endpoint {
  const e: Endpoint = { host: h.host !== "" ? h.host : h.address, port: h.port };
  if (h.hostaddr !== undefined) e.hostaddr = h.hostaddr;
  return e;
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
  if (/unsupported startup parameter/.test(reason)) {
    reason += ` (behind PgBouncer, set js_settings.pgbouncer: true so that ${sessionSection} ` +
      `are applied with SET LOCAL)`;
  }
  return reason;
}

/**
 * The NOTICE handler for `js_settings.notices`: `warnings` (default) sends
 * server WARNINGs to the warning handler and drops the rest; `all` sends
 * every notice; `none` drops them all.
 */
function defaultNotice(
  warn: WarningHandler,
  mode: NoticeMode = "warnings",
): (notice: Record<string, unknown>) => void {
  return (notice) => {
    if (mode === "none") return;
    const severity = String(notice.severity ?? notice.severity_local ?? "NOTICE");
    if (mode === "all" || severity === "WARNING") {
      warn(`server ${severity}: ${String(notice.message ?? "")}`);
    }
  };
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
  const problem = internalsProblem();
  if (problem) throw new Error(problem);
  checkPassthrough(options.postgres as Record<string, unknown> | undefined);
  const plan = planConnection(config, type);
  const warn = options.onWarning ?? printWarning;
  const environment = options.environment ?? await systemLibpqEnvironment(warn);
  const warned = new Set<string>();
  const libpq: LibpqEnvironment = {
    ...environment,
    // libpq warns on every connection; once per handle is enough.
    warn: (m) => warned.has(m) ? undefined : (warned.add(m), environment.warn(m)),
  };
  const target = await resolveTarget(plan.settings, libpq, { file: options.file });
  const where = connectionTarget(target);
  const secrets = new Set<string>(target.password ? [target.password] : []);
  const connectionError = (e: unknown) => {
    if (e instanceof ConfigError || e instanceof ConnectionError) return e;
    const code = (e as { code?: string })?.code;
    return new ConnectionError(
      scrub(describeConnectError(e, plan.sessionSection), [...secrets]),
      where,
      { cause: e, code },
    );
  };
  const fail = (e: unknown): Error => {
    const err = connectionError(e);
    return options.connectError && err instanceof ConnectionError ? options.connectError(err) : err;
  };
  const tcp = target.hosts.find((h) => h.kind === "tcp") ?? target.hosts[0];
  let tls;
  try {
    tls = await planTls(settingsFor(target, tcp), { home: libpqHome(libpq), warn });
  } catch (e) {
    throw fail(e);
  }
  const hostOf = new Map<Endpoint, TargetHost>();
  const endpoints = target.hosts.map((h) => {
    const e = endpointOf(h);
    hostOf.set(e, h);
    return e;
  });
  const connect: ConnectPlan = {
    endpoints,
    tls,
    connectTimeout: options.connectTimeout ?? target.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT,
    keepAlive: target.keepalives ? target.keepalives_idle ?? 60 : null,
    targetSessionAttrs: target.target_session_attrs,
    loadBalanceHosts: target.load_balance_hosts === "random",
    sslnegotiation: target.sslnegotiation,
    socket: options.socket,
    rotation: options.rotateHosts ? new HostRotation() : undefined,
  };
  const startup: Record<string, string> = { ...target.envSettings };
  if (target.options !== undefined) startup.options = target.options;
  const input = (endpoint: Endpoint) => ({
    user: target.user,
    database: target.dbname,
    applicationName: target.application_name,
    startup,
    // The password is looked up when a connection logs in (per host, from .pgpass if need be).
    pass: async () => {
      let password: string | undefined;
      if (options.password) password = await options.password();
      else {
        const host = hostOf.get(endpoint);
        password = (host ? await passwordFor(target, host, libpq) : {}).password;
      }
      if (password) secrets.add(password);
      return password ?? "";
    },
    passthrough: options.postgres,
    onnotice: defaultNotice(warn, plan.js.notices),
  });
  const connSettings: ConnSettings = {
    instanceOptions: (endpoint) => connectionOptions(plan, endpoint, input(endpoint)),
    registry: new TypeRegistry(options.postgres?.fetch_types !== false),
    typeOptions: {
      types: options.postgres?.types,
      transform: options.postgres?.transform,
    },
    stallTimeout: stallTimeout(plan.session),
    cancelSocket: (endpoint, useTls) => negotiateAny(connect, { endpoint, tls: useTls }),
    onConnect: options.onConnect,
  };
  const redact = (text: string) => scrub(text, [...secrets]);
  const observer = new Observer({ connectionType: type, handle: options.id ?? "" }, redact);
  const pool = new Pool({
    type,
    pooled: plan.pooled,
    ...plan.pool,
    connect,
    conn: connSettings,
    connectError: fail,
    observer,
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
  const label = `${target.user}@${where.host}:${where.port}/${target.dbname}`;
  const handle = new PGConnection({
    plan,
    pool,
    front,
    label,
    dedicatedBoundMs: connect.connectTimeout * 1000,
    setLocal: plan.pgbouncer ? setLocalStatements({ ...target.envSettings, ...plan.session }) : "",
    id: options.id,
    observer,
    warn,
    redact,
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
