/**
 * libpq's parameter resolution for validated `connection_settings`: what
 * pgmonkey (Python) gets from libpq for the same file, computed here.
 *
 * Each parameter takes the first of, in libpq's order (`conninfo_add_defaults`):
 * 1. the config's value (`connection_settings`; a value given as `''` counts
 *    as given, see `ConnectionSettings.emptyKeys`);
 * 2. the service's entry (`service` / `PGSERVICE`, from `pg_service.conf`);
 * 3. the environment variable (`PGHOST`, `PGPORT`, …);
 * 4. libpq's built-in default: host = the Unix socket directory when it
 *    exists (Debian: `/var/run/postgresql`), else `localhost`; port 5432;
 *    user = the OS user; dbname = user; sslmode `prefer` (`verify-full` with
 *    `sslrootcert=system`; `require` with the deprecated `PGREQUIRESSL=1`).
 *
 * An empty value always means the built-in default (libpq itself rejects an
 * empty `sslmode`, `target_session_attrs` or `connect_timeout`).
 *
 * @module
 */
import {
  type ConnectionSettings,
  LOAD_BALANCE_HOSTS,
  SSL_MODES,
  SSL_NEGOTIATIONS,
  type SslMode,
  TARGET_SESSION_ATTRS,
} from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import { buildHosts, type ListSpec, type TargetHost } from "./hosts.ts";
import { type LibpqEnvironment, libpqHome } from "./io.ts";
import { ENV_SESSION_SETTINGS, LIBPQ_PARAMS, libpqParam } from "./params.ts";
import { lookupPgpass, pgpassHost } from "./pgpass.ts";
import { findService, type ServiceDefinition } from "./service_file.ts";
import { type Source, type SourceContext, sourceError } from "./source.ts";
import type { IgnoredParam, ResolvedTarget } from "./target.ts";
import { effectiveConnectTimeout, libpqChoice, libpqInt } from "./values.ts";

/** Options of {@link resolveTarget}. */
export interface ResolveOptions {
  /** The config file, for error messages about `connection_settings` values. */
  file?: string;
}

/** Looks up one parameter in libpq's order and remembers where each value came from. */
class Lookup {
  readonly sources: Record<string, Source> = {};
  readonly #settings: ConnectionSettings;
  readonly #empty: Set<string>;
  readonly #service?: ServiceDefinition;
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(
    settings: ConnectionSettings,
    env: Readonly<Record<string, string | undefined>>,
    service?: ServiceDefinition,
  ) {
    this.#settings = settings;
    this.#empty = new Set(settings.emptyKeys ?? []);
    this.#env = env;
    this.#service = service;
  }

  /** The config's own value of `keyword`, if any. */
  config(keyword: string): unknown {
    const value = (this.#settings as Record<string, unknown>)[keyword];
    if (value !== undefined) this.sources[keyword] = "config";
    return value;
  }

  /** The text of `keyword` from an empty config value, the service or the environment. */
  text(keyword: string): ListSpec | undefined {
    const found = this.peek(keyword);
    this.sources[keyword] = found?.source ?? "default";
    return found;
  }

  /** Like {@link Lookup.text}, without recording the source. */
  peek(keyword: string): ListSpec | undefined {
    if (this.#empty.has(keyword)) return { text: "", source: "config" };
    const entry = this.#service?.entries.find((e) => e.keyword === keyword);
    if (entry) return { text: entry.value, source: `service:${this.#service!.file}:${entry.line}` };
    const name = libpqParam(keyword)?.env;
    const value = name === undefined ? undefined : this.#env[name];
    return value === undefined ? undefined : { text: value, source: `env:${name}` };
  }

  /** A string parameter: the config's value, else the text found; `undefined` when empty or unset. */
  string(keyword: string): string | undefined {
    const value = this.config(keyword);
    if (typeof value === "string") return value;
    const found = this.text(keyword);
    return found?.text === "" ? undefined : found?.text;
  }

  /** A list parameter (`host`, `hostaddr`, `port`) as text, with its source. */
  list(keyword: string, fromConfig?: string): ListSpec | undefined {
    if (fromConfig !== undefined) {
      this.sources[keyword] = "config";
      return { text: fromConfig, source: "config" };
    }
    return this.text(keyword);
  }
}

function portText(settings: ConnectionSettings): string | undefined {
  if (settings.portList) return settings.portList.map((p) => p ?? "").join(",");
  return settings.port === undefined ? undefined : String(settings.port);
}

/** A number parameter: typed from the config, libpq-parsed from text elsewhere. */
function numberParam(lookup: Lookup, keyword: string, context: SourceContext): number | undefined {
  const value = lookup.config(keyword);
  if (typeof value === "number") return value;
  const found = lookup.text(keyword);
  if (found === undefined || found.text === "") return undefined;
  return libpqInt(found.text, keyword, found.source, context);
}

function choiceParam<T extends string>(
  lookup: Lookup,
  keyword: string,
  allowed: readonly T[],
  context: SourceContext,
): T | undefined {
  const value = lookup.config(keyword);
  if (typeof value === "string") return value as T;
  const found = lookup.text(keyword);
  if (found === undefined || found.text === "") return undefined;
  return libpqChoice(found.text, keyword, allowed, found.source, context);
}

function serviceName(
  settings: ConnectionSettings,
  env: Readonly<Record<string, string | undefined>>,
): { name: string; source: Source } | undefined {
  if (settings.service !== undefined) return { name: settings.service, source: "config" };
  if (env.PGSERVICE) return { name: env.PGSERVICE, source: "env:PGSERVICE" };
  return undefined;
}

/** Parameters we do not honour that were set in the service or the environment; refuses the unsafe ones. */
function ignoredParams(lookup: Lookup, context: SourceContext): IgnoredParam[] {
  const out: IgnoredParam[] = [];
  for (const param of LIBPQ_PARAMS) {
    if (param.support !== "ignored") continue;
    const found = lookup.peek(param.keyword);
    if (found === undefined || found.text === "") continue;
    if (param.refuses?.(found.text)) {
      throw sourceError(
        found.source,
        param.keyword,
        `${param.keyword}=${found.text} is not supported by pgmonkey (Deno), which cannot ` +
          `enforce it; unset it rather than connect without that protection`,
        context,
      );
    }
    out.push({ keyword: param.keyword, source: found.source });
  }
  return out;
}

function envSettings(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, setting] of Object.entries(ENV_SESSION_SETTINGS)) {
    const value = env[name];
    if (value && value.toLowerCase() !== "default") out[setting] = value;
  }
  return out;
}

function resolveSslmode(
  lookup: Lookup,
  env: Readonly<Record<string, string | undefined>>,
  sslrootcert: string | undefined,
  context: SourceContext,
): SslMode {
  const given = choiceParam(lookup, "sslmode", SSL_MODES, context);
  if (given !== undefined) return given;
  if (lookup.sources.sslmode === "default" && env.PGREQUIRESSL?.startsWith("1")) {
    lookup.sources.sslmode = "env:PGREQUIRESSL";
    return "require";
  }
  return sslrootcert === "system" ? "verify-full" : "prefer";
}

/**
 * Resolves validated `connection_settings` into the target libpq would
 * connect to, reading the service file when one is named (see the module
 * doc for the order). The password file is not read here: `passwordFor`
 * reads it per host at connection time, as libpq does.
 *
 * @throws {ConfigError} one line naming the source (config key, environment
 * variable, or service file and line): an unknown service, mismatched host
 * and port lists, a bad port or `hostaddr`, an invalid `sslmode`,
 * `target_session_attrs`, `load_balance_hosts` or `sslnegotiation`, an
 * `sslmode` too weak for `sslrootcert=system` or `sslnegotiation=direct`, a
 * security parameter pgmonkey cannot enforce (`require_auth`,
 * `channel_binding=require`, `sslcrl`, …), or no user name at all.
 *
 * @example
 * ```ts
 * import { resolveTarget } from "./resolve.ts";
 * import { systemFiles } from "./io.ts";
 * const target = await resolveTarget(
 *   { host: "db1,db2", dbname: "app" },
 *   {
 *     env: { PGPORT: "5433", PGTARGETSESSIONATTRS: "read-write" },
 *     userName: "deploy",
 *     homeDir: "/home/deploy",
 *     compiledSocketDir: "/var/run/postgresql",
 *     sysconfDir: "/etc/postgresql-common",
 *     files: systemFiles,
 *     warn: console.warn,
 *   },
 * );
 * target.hosts.map((h) => `${h.host}:${h.port}`); // ["db1:5433", "db2:5433"]
 * target.user; // "deploy"
 * target.target_session_attrs; // "read-write"
 * target.sources.port; // "env:PGPORT"
 * ```
 */
export async function resolveTarget(
  settings: ConnectionSettings,
  environment: LibpqEnvironment,
  options: ResolveOptions = {},
): Promise<ResolvedTarget> {
  const context: SourceContext = { file: options.file };
  const { env } = environment;
  const wanted = serviceName(settings, env);
  const service = wanted &&
    await findService(wanted.name, wanted.source, environment, options.file);
  const lookup = new Lookup(settings, env, service);
  if (wanted) lookup.sources.service = wanted.source;

  const hosts = buildHosts({
    host: lookup.list("host", settings.host),
    hostaddr: lookup.list("hostaddr", settings.hostaddr),
    port: lookup.list("port", portText(settings)),
    socketDir: environment.socketDir,
  }, context);

  let user = lookup.string("user");
  if (user === undefined) {
    user = environment.userName;
    if (!user) {
      throw new ConfigError(
        "no user name: set connection_settings.user or PGUSER (the OS user could not be looked up)",
        { file: options.file },
      );
    }
  }
  const dbname = lookup.string("dbname") ?? user;
  const password = lookup.string("password");
  let passfile: string | undefined;
  const givenPassfile = lookup.string("passfile");
  if (password === undefined) {
    const home = libpqHome(environment);
    const defaultFile = home === undefined
      ? undefined
      : environment.windows
      ? `${home}\\pgpass.conf`
      : `${home}/.pgpass`;
    passfile = givenPassfile ?? defaultFile;
  }

  const sslrootcert = lookup.string("sslrootcert");
  const sslmode = resolveSslmode(lookup, env, sslrootcert, context);
  if (sslrootcert === "system" && sslmode !== "verify-full") {
    throw sourceError(
      lookup.sources.sslmode,
      "sslmode",
      `weak sslmode "${sslmode}" may not be used with sslrootcert=system (use "verify-full")`,
      context,
    );
  }
  const sslnegotiation = choiceParam(lookup, "sslnegotiation", SSL_NEGOTIATIONS, context) ??
    "postgres";
  if (sslnegotiation === "direct" && !/^(require|verify-)/.test(sslmode)) {
    throw sourceError(
      lookup.sources.sslnegotiation,
      "sslnegotiation",
      `weak sslmode "${sslmode}" may not be used with sslnegotiation=direct ` +
        `(use "require", "verify-ca", or "verify-full")`,
      context,
    );
  }

  const keepalivesValue = lookup.config("keepalives");
  let keepalives = true;
  if (typeof keepalivesValue === "boolean") keepalives = keepalivesValue;
  else {
    const found = lookup.text("keepalives");
    if (found && found.text !== "") {
      keepalives = libpqInt(found.text, "keepalives", found.source, context) !== 0;
    }
  }
  const nonNegative = (keyword: string) => {
    const n = numberParam(lookup, keyword, context);
    return n === undefined ? undefined : Math.max(n, 0);
  };

  const target: ResolvedTarget = {
    hosts,
    user,
    dbname,
    ...(password !== undefined ? { password } : {}),
    ...(passfile !== undefined ? { passfile } : {}),
    sslmode,
    sslnegotiation,
    sslrootcert,
    sslcert: lookup.string("sslcert"),
    sslkey: lookup.string("sslkey"),
    connect_timeout: effectiveConnectTimeout(numberParam(lookup, "connect_timeout", context)),
    application_name: lookup.string("application_name"),
    options: lookup.string("options"),
    keepalives,
    keepalives_idle: nonNegative("keepalives_idle"),
    keepalives_interval: nonNegative("keepalives_interval"),
    keepalives_count: nonNegative("keepalives_count"),
    target_session_attrs: choiceParam(
      lookup,
      "target_session_attrs",
      TARGET_SESSION_ATTRS,
      context,
    ) ?? "any",
    load_balance_hosts: choiceParam(lookup, "load_balance_hosts", LOAD_BALANCE_HOSTS, context) ??
      "disable",
    ...(service ? { service: { name: service.name, file: service.file } } : {}),
    envSettings: envSettings(env),
    sources: lookup.sources,
    ignored: ignoredParams(lookup, context),
  };
  for (const key of Object.keys(target) as (keyof ResolvedTarget)[]) {
    if (target[key] === undefined) delete target[key];
  }
  return target;
}

/** A host's password and where it came from. */
export interface HostPassword {
  /** The password (a secret), or `undefined` when none was found anywhere. */
  password?: string;
  /** `pgpass` for the password file, else the target's source for `password`. */
  source?: Source | "pgpass";
  /** The password file and line, when it came from there. */
  file?: string;
  /** The 1-based line in the password file. */
  line?: number;
}

/**
 * The password for connecting to `host`: the target's own password, else
 * the first matching line of the password file (read now, as libpq reads it
 * for every new connection; an insecure file is ignored with libpq's
 * warning). Add a password found in the file to the secrets to redact.
 *
 * @example
 * ```ts ignore
 * import { passwordFor } from "./resolve.ts";
 * const { password, source } = await passwordFor(target, target.hosts[0], environment);
 * ```
 */
export async function passwordFor(
  target: ResolvedTarget,
  host: TargetHost,
  environment: Pick<LibpqEnvironment, "files" | "warn" | "windows" | "compiledSocketDir">,
): Promise<HostPassword> {
  if (target.password !== undefined) {
    return { password: target.password, source: target.sources.password };
  }
  if (target.passfile === undefined) return {};
  const match = await lookupPgpass(target.passfile, {
    host: pgpassHost(host, environment.compiledSocketDir),
    port: host.port,
    dbname: target.dbname,
    user: target.user,
  }, environment);
  return match
    ? { password: match.password, source: "pgpass", file: match.file, line: match.line }
    : {};
}
