/**
 * libpq's connection parameters (PostgreSQL 17's `PQconninfoOptions`): each
 * keyword, the environment variable libpq falls back to, and what pgmonkey
 * does with it. A service file may set any of these keywords; anything else
 * there is a syntax error, as in libpq.
 *
 * @module
 */

/** What pgmonkey does with a libpq parameter. */
export type ParamSupport =
  /** Read and honoured. */
  | "supported"
  /** Accepted and ignored (it has no effect on a postgres.js connection, or only a harmless one). */
  | "ignored";

/** One libpq connection parameter. */
export interface LibpqParam {
  /** The conninfo keyword, e.g. `sslmode`. */
  keyword: string;
  /** The environment variable libpq reads when the keyword is not given, e.g. `PGSSLMODE`. */
  env?: string;
  /** What pgmonkey does with it. */
  support: ParamSupport;
  /**
   * For an ignored parameter: true for the values that ask for a protection
   * pgmonkey cannot give (e.g. `channel_binding=require`). Those are refused
   * with an error instead of being dropped silently.
   */
  refuses?: (value: string) => boolean;
}

const always = () => true;
const is = (word: string) => (value: string) => value === word;

/**
 * Every libpq connection parameter, in libpq's order.
 *
 * @example
 * ```ts
 * import { LIBPQ_PARAMS } from "./params.ts";
 * LIBPQ_PARAMS.find((p) => p.keyword === "host")?.env; // "PGHOST"
 * ```
 */
export const LIBPQ_PARAMS: readonly LibpqParam[] = [
  { keyword: "service", env: "PGSERVICE", support: "supported" },
  { keyword: "user", env: "PGUSER", support: "supported" },
  { keyword: "password", env: "PGPASSWORD", support: "supported" },
  { keyword: "passfile", env: "PGPASSFILE", support: "supported" },
  {
    keyword: "channel_binding",
    env: "PGCHANNELBINDING",
    support: "ignored",
    refuses: is("require"),
  },
  { keyword: "connect_timeout", env: "PGCONNECT_TIMEOUT", support: "supported" },
  { keyword: "dbname", env: "PGDATABASE", support: "supported" },
  { keyword: "host", env: "PGHOST", support: "supported" },
  { keyword: "hostaddr", env: "PGHOSTADDR", support: "supported" },
  { keyword: "port", env: "PGPORT", support: "supported" },
  { keyword: "client_encoding", env: "PGCLIENTENCODING", support: "ignored" },
  { keyword: "options", env: "PGOPTIONS", support: "supported" },
  { keyword: "application_name", env: "PGAPPNAME", support: "supported" },
  { keyword: "fallback_application_name", support: "ignored" },
  { keyword: "keepalives", support: "supported" },
  { keyword: "keepalives_idle", support: "supported" },
  { keyword: "keepalives_interval", support: "supported" },
  { keyword: "keepalives_count", support: "supported" },
  { keyword: "tcp_user_timeout", support: "ignored" },
  { keyword: "sslmode", env: "PGSSLMODE", support: "supported" },
  { keyword: "sslnegotiation", env: "PGSSLNEGOTIATION", support: "supported" },
  { keyword: "sslcompression", env: "PGSSLCOMPRESSION", support: "ignored" },
  { keyword: "sslcert", env: "PGSSLCERT", support: "supported" },
  { keyword: "sslkey", env: "PGSSLKEY", support: "supported" },
  { keyword: "sslcertmode", env: "PGSSLCERTMODE", support: "ignored", refuses: is("require") },
  { keyword: "sslpassword", support: "ignored" },
  { keyword: "sslrootcert", env: "PGSSLROOTCERT", support: "supported" },
  { keyword: "sslcrl", env: "PGSSLCRL", support: "ignored", refuses: always },
  { keyword: "sslcrldir", env: "PGSSLCRLDIR", support: "ignored", refuses: always },
  { keyword: "sslsni", env: "PGSSLSNI", support: "ignored" },
  { keyword: "requirepeer", env: "PGREQUIREPEER", support: "ignored", refuses: always },
  { keyword: "require_auth", env: "PGREQUIREAUTH", support: "ignored", refuses: always },
  {
    keyword: "ssl_min_protocol_version",
    env: "PGSSLMINPROTOCOLVERSION",
    support: "ignored",
    refuses: (v) => v.toLowerCase() === "tlsv1.3",
  },
  { keyword: "ssl_max_protocol_version", env: "PGSSLMAXPROTOCOLVERSION", support: "ignored" },
  { keyword: "gssencmode", env: "PGGSSENCMODE", support: "ignored", refuses: is("require") },
  { keyword: "krbsrvname", env: "PGKRBSRVNAME", support: "ignored" },
  { keyword: "gsslib", env: "PGGSSLIB", support: "ignored" },
  { keyword: "gssdelegation", env: "PGGSSDELEGATION", support: "ignored" },
  { keyword: "replication", support: "ignored" },
  { keyword: "target_session_attrs", env: "PGTARGETSESSIONATTRS", support: "supported" },
  { keyword: "load_balance_hosts", env: "PGLOADBALANCEHOSTS", support: "supported" },
];

const BY_KEYWORD = new Map(LIBPQ_PARAMS.map((p) => [p.keyword, p]));

/**
 * The parameter named `keyword`, or `undefined` when libpq has no such keyword.
 *
 * @example
 * ```ts
 * import { libpqParam } from "./params.ts";
 * libpqParam("sslmode")?.env; // "PGSSLMODE"
 * libpqParam("hosst"); // undefined
 * ```
 */
export function libpqParam(keyword: string): LibpqParam | undefined {
  return BY_KEYWORD.get(keyword);
}

/**
 * Server settings libpq takes from the environment and sends at startup
 * (libpq's `EnvironmentOptions`): environment variable → setting. A value
 * of `default` (any case) is not sent.
 *
 * @example
 * ```ts
 * import { ENV_SESSION_SETTINGS } from "./params.ts";
 * ENV_SESSION_SETTINGS.PGTZ; // "timezone"
 * ```
 */
export const ENV_SESSION_SETTINGS: Readonly<Record<string, string>> = {
  PGDATESTYLE: "datestyle",
  PGTZ: "timezone",
  PGGEQO: "geqo",
};

/**
 * Every environment variable libpq reads for a connection: the parameters'
 * variables, `PGREQUIRESSL` (deprecated: `1…` means `sslmode=require`),
 * `PGSERVICEFILE`, `PGSYSCONFDIR`, the startup settings of
 * {@link ENV_SESSION_SETTINGS}, and `HOME` (where `~/.pgpass` and
 * `~/.pg_service.conf` live).
 *
 * @example
 * ```ts
 * import { LIBPQ_ENV_VARS } from "./params.ts";
 * LIBPQ_ENV_VARS.includes("PGPASSFILE"); // true
 * ```
 */
export const LIBPQ_ENV_VARS: readonly string[] = [
  ...LIBPQ_PARAMS.flatMap((p) => p.env ? [p.env] : []),
  "PGREQUIRESSL",
  "PGSERVICEFILE",
  "PGSYSCONFDIR",
  ...Object.keys(ENV_SESSION_SETTINGS),
  "HOME",
  "APPDATA",
];
