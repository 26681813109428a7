/**
 * `pgmonkey pgserverconfig`: the pg_hba.conf and postgresql.conf entries a
 * config file needs on the server, with the same rules and the same output
 * text as pgmonkey (Python). Pure: no file or network access.
 *
 * @example
 * ```ts
 * import { formatRecommendations, recommend } from "./recommend.ts";
 * const rec = recommend({
 *   connection_settings: { host: "10.0.0.5", sslmode: "verify-full" },
 *   pool_settings: { max_size: 70 },
 * });
 * console.log(formatRecommendations(rec));
 * ```
 *
 * @module
 */

import { pyReprValue } from "../config/pystr.ts";
import { isMapping, type Mapping, pyTruthy, typeName } from "../config/values.ts";
import { hostToSubnet } from "./address.ts";
import { pyInt } from "./pyint.ts";

/** The column header pgmonkey prints above the recommended pg_hba.conf lines. */
export const PG_HBA_HEADER = "TYPE  DATABASE  USER  ADDRESS          METHOD  OPTIONS";

/** What `pgserverconfig` prints when the file is empty or could not be read/parsed. */
export const CONFIG_NOT_AVAILABLE =
  "Configuration data is not available. Please check the file path and contents.";

/** `max_connections` recommended when no pool section gives a positive `max_size`. */
export const DEFAULT_MAX_CONNECTIONS = 20;

/** The postgresql.conf lines recommended whenever `sslmode` is not `disable`. */
export const SSL_CONF_LINES: readonly string[] = [
  "ssl = on",
  "ssl_cert_file = 'server.crt'",
  "ssl_key_file = 'server.key'",
  "ssl_ca_file = 'ca.crt'",
];

/**
 * A config cannot produce recommendations where pgmonkey (Python) would
 * crash with a traceback: no `connection_settings.host`, a `max_size` that is
 * not a whole number, a section that is not a mapping. The message is one
 * line and names the key; the CLI prints it and exits 1.
 *
 * @example
 * ```ts
 * import { recommend, RecommendError } from "./recommend.ts";
 * try {
 *   recommend({ connection_settings: { sslmode: "prefer" } });
 * } catch (e) {
 *   if (e instanceof RecommendError) console.error(e.message, e.key);
 * }
 * ```
 */
export class RecommendError extends Error {
  /** The dotted config key the problem is about, e.g. `connection_settings.host`. */
  readonly key: string;
  /** Creates the error; `message` must be one line and name `key`. */
  constructor(message: string, key: string) {
    super(message);
    this.name = "RecommendError";
    this.key = key;
  }
}

/**
 * The recommendations for one config. `pgHba` and `postgresqlConf` hold the
 * exact lines pgmonkey (Python) prints (the pg_hba.conf header is not part of
 * `pgHba`; see {@link PG_HBA_HEADER}).
 */
export interface ServerRecommendations {
  /** `hostssl …` lines for pg_hba.conf; empty when `sslmode` is `disable`. */
  readonly pgHba: readonly string[];
  /** `name = value` lines for postgresql.conf; never empty. */
  readonly postgresqlConf: readonly string[];
  /** The recommended `max_connections`. */
  readonly maxConnections: bigint;
}

/**
 * Computes the `pgserverconfig` recommendations from a parsed config (what
 * YAML gave, after unwrapping a legacy `postgresql:` wrapper; not validated,
 * no env interpolation). Returns `null` when the config is empty or falsy in
 * Python's sense (`null`, `{}`, `[]`, `""`, `0`, `false`): the CLI then prints
 * {@link CONFIG_NOT_AVAILABLE}.
 *
 * Rules (pgmonkey 4.0.0, `postgres_server_config_generator.py`):
 * - pg_hba.conf: `sslmode` defaults to `prefer`; `verify-ca`/`verify-full`
 *   with a client certificate (`sslcert` set) →
 *   `hostssl … scram-sha-256     clientcert=<sslmode>`; `disable` → no line;
 *   anything else → `hostssl … scram-sha-256`. ADDRESS per {@link hostToSubnet}.
 *   Unlike upstream, a config without `sslcert` never gets `clientcert=`: the
 *   server would then refuse the client that the config describes.
 * - postgresql.conf: `max_connections = trunc(max(pool max_size,
 *   async_pool max_size) × 1.1)` when that maximum is positive, else 20
 *   (`max_size` may be a number or a numeric string such as `'30'`); the four
 *   {@link SSL_CONF_LINES} unless `sslmode` is `disable` — here a missing
 *   `sslmode` counts as `disable`.
 *
 * @throws {RecommendError} where pgmonkey (Python) would crash: missing
 *   `connection_settings.host` (also a `null`/empty host unless `sslmode` is
 *   `disable`), a `max_size` Python's `int()` rejects, or a config, section or
 *   host of the wrong type.
 *
 * @example
 * ```ts
 * import { recommend } from "./recommend.ts";
 * const rec = recommend({
 *   connection_settings: { host: "192.168.1.10", sslmode: "disable" },
 *   pool_settings: { max_size: 10 },
 *   async_pool_settings: { max_size: 50 },
 * });
 * rec?.pgHba; // []
 * rec?.postgresqlConf; // ["max_connections = 55"]
 * ```
 */
export function recommend(config: unknown): ServerRecommendations | null {
  if (!pyTruthy(config)) return null;
  if (!isMapping(config)) {
    throw new RecommendError(
      `the configuration must be a mapping of sections, got ${typeName(config)}`,
      "connection_settings",
    );
  }
  // Same order as upstream's print_configurations: pg_hba first, then postgresql.conf.
  const settings = connectionSettings(config);
  const hbaMode = Object.hasOwn(settings, "sslmode") ? settings.sslmode : "prefer";
  const address = hbaAddress(settings, hbaMode);
  const pgHba: string[] = [];
  const clientCert = pyTruthy(settings.sslcert);
  if (clientCert && (hbaMode === "verify-ca" || hbaMode === "verify-full")) {
    pgHba.push(`hostssl all     all   ${address}    scram-sha-256     clientcert=${hbaMode}`);
  } else if (hbaMode !== "disable") {
    pgHba.push(`hostssl all     all   ${address}    scram-sha-256`);
  }

  const largest = [poolMaxSize(config, "pool_settings"), poolMaxSize(config, "async_pool_settings")]
    .reduce((a, b) => (b > a ? b : a));
  const maxConnections = largest > 0n ? times1point1(largest) : BigInt(DEFAULT_MAX_CONNECTIONS);
  const postgresqlConf = [`max_connections = ${maxConnections}`];
  const sslMode = Object.hasOwn(settings, "sslmode") ? settings.sslmode : "disable";
  if (sslMode !== "disable") postgresqlConf.push(...SSL_CONF_LINES);

  return { pgHba, postgresqlConf, maxConnections };
}

/**
 * The exact stdout of `pgmonkey pgserverconfig` for recommendations made by
 * {@link recommend}, every line ending in `\n`. `null` gives the
 * {@link CONFIG_NOT_AVAILABLE} line.
 *
 * @example
 * ```ts
 * import { formatRecommendations, recommend } from "./recommend.ts";
 * const text = formatRecommendations(recommend({ connection_settings: { host: "localhost" } }));
 * text.startsWith("1) Database type detected: PostgreSQL\n"); // true
 * formatRecommendations(null); // CONFIG_NOT_AVAILABLE + "\n"
 * ```
 */
export function formatRecommendations(rec: ServerRecommendations | null): string {
  if (rec === null) return `${CONFIG_NOT_AVAILABLE}\n`;
  const out: string[] = [
    "1) Database type detected: PostgreSQL",
    "",
    "2) Minimal database server settings needed for this config file:",
    "",
  ];
  if (rec.pgHba.length > 0) {
    out.push("   a) pg_hba.conf:", "", PG_HBA_HEADER, ...rec.pgHba, "");
  } else {
    out.push("   a) No entries needed for pg_hba.conf.", "");
  }
  if (rec.postgresqlConf.length > 0) {
    out.push("   b) postgresql.conf:", "", ...rec.postgresqlConf);
  } else {
    // Unreachable with recommend() (max_connections is always there); kept for parity.
    out.push("   b) No entries needed for postgresql.conf.", "");
  }
  out.push("");
  const files = [
    ...(rec.pgHba.length > 0 ? ["pg_hba.conf"] : []),
    ...(rec.postgresqlConf.length > 0 ? ["postgresql.conf"] : []),
  ];
  if (files.length > 0) {
    out.push(
      "Please check the following files on your system and ensure that the appropriate " +
        `settings are applied: ${files.join(", ")}.`,
      "Ensure that the network ADDRESS matches your network subnet and review all configurations.",
    );
  }
  return out.map((line) => `${line}\n`).join("");
}

const HOST_REQUIRED = "connection_settings.host is required to recommend pg_hba.conf entries";

function connectionSettings(config: Mapping): Mapping {
  const settings = config.connection_settings;
  if (settings === undefined || settings === null) {
    throw new RecommendError(HOST_REQUIRED, "connection_settings.host");
  }
  if (!isMapping(settings)) {
    throw new RecommendError(
      `connection_settings must be a mapping, got ${typeName(settings)}`,
      "connection_settings",
    );
  }
  return settings;
}

function hbaAddress(settings: Mapping, sslmode: unknown): string {
  if (!Object.hasOwn(settings, "host")) {
    throw new RecommendError(HOST_REQUIRED, "connection_settings.host");
  }
  const host = settings.host;
  if (host === null || host === "") {
    // Upstream would print the address as `None` (or empty); no line is printed for `disable`.
    if (sslmode === "disable") return "";
    throw new RecommendError(HOST_REQUIRED, "connection_settings.host");
  }
  if (typeof host === "string" || typeof host === "bigint") return hostToSubnet(host);
  if (typeof host === "number") return hostToSubnet(host);
  throw new RecommendError(
    `connection_settings.host must be a host name or an IP address, got ${typeName(host)}`,
    "connection_settings.host",
  );
}

function poolMaxSize(config: Mapping, section: "pool_settings" | "async_pool_settings"): bigint {
  const settings = config[section];
  if (!pyTruthy(settings)) return 0n;
  if (!isMapping(settings)) {
    throw new RecommendError(`${section} must be a mapping, got ${typeName(settings)}`, section);
  }
  if (!Object.hasOwn(settings, "max_size")) return 0n;
  const value = pyInt(settings.max_size);
  if (value === undefined) {
    throw new RecommendError(
      `${section}.max_size must be a whole number, got ${pyReprValue(settings.max_size)}`,
      `${section}.max_size`,
    );
  }
  return value;
}

/** Python `int(n * 1.1)`: the int becomes a float first, the product is truncated. */
function times1point1(n: bigint): bigint {
  const product = Number(n) * 1.1;
  if (!Number.isFinite(product)) {
    throw new RecommendError(
      "pool max_size is too large to compute max_connections",
      "pool_settings.max_size",
    );
  }
  return BigInt(Math.trunc(product));
}
