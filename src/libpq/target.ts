/**
 * The result of libpq's parameter resolution: every connection parameter
 * with its final value and where it came from, and the servers to try.
 * Parameter fields use libpq's keyword names (as `connection_settings`
 * does); derived facts are camelCase.
 *
 * @module
 */
import type {
  ConnectionSettings,
  LoadBalanceHosts,
  SslMode,
  SslNegotiation,
  TargetSessionAttrs,
} from "../config/types.ts";
import type { TargetHost } from "./hosts.ts";
import type { Source } from "./source.ts";

/** A libpq parameter that was set (in a service file or the environment) but has no effect here. */
export interface IgnoredParam {
  /** The libpq keyword, e.g. `sslsni`. */
  keyword: string;
  /** Where it was set. */
  source: Source;
}

/** Where a resolved target's service came from. */
export interface ResolvedService {
  /** The service name. */
  name: string;
  /** The service file that defines it. */
  file: string;
}

/** What to connect to and how, after libpq's defaults (see `resolveTarget`). */
export interface ResolvedTarget {
  /** The servers to try, in the order given (see `orderHosts` for `load_balance_hosts`). */
  hosts: readonly TargetHost[];
  /** Role name (never empty: defaults to the OS user). */
  user: string;
  /** Database name (never empty: defaults to `user`). */
  dbname: string;
  /**
   * The password from the config, a service file or `PGPASSWORD`; a secret.
   * When `undefined`, `passwordFor` looks in {@link ResolvedTarget.passfile}
   * for each host.
   */
  password?: string;
  /** The password file to consult per host when there is no password. */
  passfile?: string;
  /** The sslmode in effect (libpq default `prefer`; `verify-full` with `sslrootcert=system`). */
  sslmode: SslMode;
  /** How TLS is started. */
  sslnegotiation: SslNegotiation;
  /** Root certificate file, or `system`; `undefined`: libpq's `~/.postgresql/root.crt`. */
  sslrootcert?: string;
  /** Client certificate file; `undefined`: libpq's `~/.postgresql/postgresql.crt`. */
  sslcert?: string;
  /** Client key file; `undefined`: libpq's `~/.postgresql/postgresql.key`. */
  sslkey?: string;
  /** Seconds allowed per connection attempt (libpq: none for 0 or unset, at least 2). */
  connect_timeout?: number;
  /** `application_name` to send. */
  application_name?: string;
  /** Server command-line options to send at startup (`options` / `PGOPTIONS`). */
  options?: string;
  /** TCP keepalives on (libpq's default) or off. */
  keepalives: boolean;
  /** Seconds idle before the first keepalive probe. */
  keepalives_idle?: number;
  /** Seconds between probes. */
  keepalives_interval?: number;
  /** Probes before the connection is considered dead. */
  keepalives_count?: number;
  /** Which kind of server a connection must land on. */
  target_session_attrs: TargetSessionAttrs;
  /** Try hosts in order, or shuffled for each connection. */
  load_balance_hosts: LoadBalanceHosts;
  /** The service whose entries were used, if any. */
  service?: ResolvedService;
  /** Server settings libpq sends from `PGDATESTYLE`, `PGTZ`, `PGGEQO` (setting → value). */
  envSettings: Readonly<Record<string, string>>;
  /** Where each supported parameter's value came from (keyword → source). */
  sources: Readonly<Record<string, Source>>;
  /** Parameters set in a service file or the environment that have no effect here. */
  ignored: readonly IgnoredParam[];
}

/**
 * The secrets in a resolved target, for `redactText` (a password found by
 * `passwordFor` in a password file is returned to the caller, who must add
 * it too).
 *
 * @example
 * ```ts ignore
 * import { targetSecrets } from "./target.ts";
 * import { redactText } from "../config/redact.ts";
 * redactText(message, [...configSecrets, ...targetSecrets(target)]);
 * ```
 */
export function targetSecrets(target: ResolvedTarget): string[] {
  return target.password ? [target.password] : [];
}

/**
 * One host's view of a target as validated `connection_settings` (a single
 * host and port, every default filled in), for code that takes
 * `ConnectionSettings` such as TLS planning. A host known only by its
 * `hostaddr` is given as that address.
 *
 * @example
 * ```ts ignore
 * import { settingsFor } from "./target.ts";
 * const settings = settingsFor(target, target.hosts[0], password);
 * ```
 */
export function settingsFor(
  target: ResolvedTarget,
  host: TargetHost,
  password: string | undefined = target.password,
): ConnectionSettings {
  const out: ConnectionSettings = {
    host: host.host !== "" ? host.host : host.hostaddr,
    port: host.port,
    user: target.user,
    dbname: target.dbname,
    sslmode: target.sslmode,
    keepalives: target.keepalives,
  };
  if (host.hostaddr !== undefined) out.hostaddr = host.hostaddr;
  const optional = {
    password,
    sslrootcert: target.sslrootcert,
    sslcert: target.sslcert,
    sslkey: target.sslkey,
    connect_timeout: target.connect_timeout,
    application_name: target.application_name,
    options: target.options,
    keepalives_idle: target.keepalives_idle,
    keepalives_interval: target.keepalives_interval,
    keepalives_count: target.keepalives_count,
    sslnegotiation: target.sslnegotiation,
    target_session_attrs: target.target_session_attrs,
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
