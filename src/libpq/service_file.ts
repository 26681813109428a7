/**
 * Connection service files (`pg_service.conf`) with libpq's rules
 * (`parseServiceInfo` / `parseServiceFile` in libpq's `fe-connect.c`):
 *
 * - The service is `service` from the config, else `PGSERVICE`.
 * - The user's file is `PGSERVICEFILE` (it must exist), else
 *   `~/.pg_service.conf` (when it exists); if the service is not defined
 *   there, the system file `PGSYSCONFDIR/pg_service.conf` (else libpq's
 *   compiled-in directory) is read. The first file that defines the service
 *   is the only one used.
 * - Lines are trimmed; empty lines and `#` comments are skipped; `[name]`
 *   starts a section, and only the first `[name]` section of a file counts.
 * - Inside it each line is `keyword=value`, split at the first `=`, with no
 *   space allowed around the keyword (`host = db` is a syntax error); the
 *   keyword must be a libpq parameter and not `service`; for a repeated
 *   keyword the first value wins.
 * - A line of 1023 bytes or more is an error (libpq's line buffer).
 *
 * Entries fill only what the config does not give; they win over environment
 * variables.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { type LibpqEnvironment, libpqHome } from "./io.ts";
import { libpqParam } from "./params.ts";
import { describeSource, type Source } from "./source.ts";

/** One `keyword=value` line of a service definition. */
export interface ServiceEntry {
  /** The libpq keyword. */
  keyword: string;
  /** The value, as written (it may be empty). */
  value: string;
  /** The 1-based line number. */
  line: number;
}

/** A service definition found in a service file. */
export interface ServiceDefinition {
  /** The service name. */
  name: string;
  /** The file that defines it. */
  file: string;
  /** Its entries, first occurrence of each keyword only, in file order. */
  entries: ServiceEntry[];
}

const MAX_LINE_BYTES = 1023;
const encoder = new TextEncoder();

function lineError(file: string, line: number, problem: string): ConfigError {
  return new ConfigError(problem, { file: `${file}:${line}` });
}

/**
 * The entries of service `name` in a service file's `text`, or `undefined`
 * when the file does not define it.
 *
 * @throws {ConfigError} a too long line, a line without `=`, an unknown
 * keyword, or a nested `service=` inside the section, named by file and line.
 *
 * @example
 * ```ts
 * import { parseServiceFile } from "./service_file.ts";
 * const text = "[prod]\nhost=db1,db2\nport=5433\n[dev]\nhost=localhost\n";
 * parseServiceFile(text, "prod", "pg_service.conf")?.map((e) => e.keyword); // ["host", "port"]
 * parseServiceFile(text, "test", "pg_service.conf"); // undefined
 * ```
 */
export function parseServiceFile(
  text: string,
  name: string,
  file: string,
): ServiceEntry[] | undefined {
  const rawLines = text.split("\n");
  if (rawLines.at(-1) === "") rawLines.pop();
  let found = false;
  const entries: ServiceEntry[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < rawLines.length; i++) {
    const lineNo = i + 1;
    const withEnd = i < rawLines.length - 1 || text.endsWith("\n")
      ? rawLines[i] + "\n"
      : rawLines[i];
    if (encoder.encode(withEnd).length >= MAX_LINE_BYTES) {
      throw lineError(file, lineNo, `line ${lineNo} too long in service file "${file}"`);
    }
    const line = rawLines[i].replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, "");
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      if (found) break; // the end of the wanted section
      found = line.startsWith(`[${name}]`);
      continue;
    }
    if (!found) continue;
    if (line.startsWith("ldap")) {
      throw lineError(file, lineNo, "LDAP service lookups are not supported");
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      throw lineError(file, lineNo, "syntax error in service file: expected keyword=value");
    }
    const keyword = line.slice(0, eq);
    if (keyword === "service") {
      throw lineError(file, lineNo, "nested service specifications not supported in service file");
    }
    if (libpqParam(keyword) === undefined) {
      throw lineError(
        file,
        lineNo,
        `syntax error in service file: "${keyword}" is not a libpq connection parameter`,
      );
    }
    if (seen.has(keyword)) continue;
    seen.add(keyword);
    entries.push({ keyword, value: line.slice(eq + 1), line: lineNo });
  }
  return found ? entries : undefined;
}

/** The service files libpq would read, in order, for one lookup. */
export interface ServiceFileCandidate {
  /** The path. */
  path: string;
  /** True for `PGSERVICEFILE`: libpq fails when it is missing. Other files are skipped when missing. */
  required: boolean;
}

/**
 * The files libpq searches for a service: `PGSERVICEFILE` (required) or
 * `~/.pg_service.conf`, then `PGSYSCONFDIR/pg_service.conf` (or the
 * compiled-in directory).
 *
 * @example
 * ```ts
 * import { serviceFileCandidates } from "./service_file.ts";
 * serviceFileCandidates({ env: {}, homeDir: "/home/u", sysconfDir: "/etc/postgresql-common" })
 *   .map((c) => c.path);
 * // ["/home/u/.pg_service.conf", "/etc/postgresql-common/pg_service.conf"]
 * ```
 */
export function serviceFileCandidates(
  environment: Pick<LibpqEnvironment, "env" | "homeDir" | "sysconfDir" | "windows">,
): ServiceFileCandidate[] {
  const { env } = environment;
  const out: ServiceFileCandidate[] = [];
  if (env.PGSERVICEFILE !== undefined) {
    out.push({ path: env.PGSERVICEFILE, required: true });
  } else {
    const home = libpqHome(environment);
    if (home !== undefined) out.push({ path: `${home}/.pg_service.conf`, required: false });
  }
  out.push({
    path: `${env.PGSYSCONFDIR ?? environment.sysconfDir}/pg_service.conf`,
    required: false,
  });
  return out;
}

/**
 * Finds service `name` as libpq does.
 *
 * @throws {ConfigError} `PGSERVICEFILE` names a missing file; a syntax error
 * in a service file; or no file defines the service:
 * `environment variable PGSERVICE: definition of service "x" not found
 * (searched /home/u/.pg_service.conf (missing), /etc/postgresql-common/pg_service.conf)`.
 *
 * @example
 * ```ts ignore
 * import { findService } from "./service_file.ts";
 * import { systemLibpqEnvironment } from "./io.ts";
 * const def = await findService("prod", "env:PGSERVICE", await systemLibpqEnvironment());
 * console.log(def.file, def.entries);
 * ```
 */
export async function findService(
  name: string,
  source: Source,
  environment: Pick<
    LibpqEnvironment,
    "env" | "homeDir" | "sysconfDir" | "windows" | "files"
  >,
  configFile?: string,
): Promise<ServiceDefinition> {
  const searched: string[] = [];
  for (const candidate of serviceFileCandidates(environment)) {
    // libpq skips a missing optional file, but fails on one it cannot read.
    if (!candidate.required && await environment.files.stat(candidate.path) === undefined) {
      searched.push(`${candidate.path} (missing)`);
      continue;
    }
    const text = await environment.files.readText(candidate.path);
    if (text === undefined) {
      throw new ConfigError(
        `service file "${candidate.path}" not found`,
        candidate.required ? { key: "environment variable PGSERVICEFILE" } : {},
      );
    }
    searched.push(candidate.path);
    const entries = parseServiceFile(text, name, candidate.path);
    if (entries !== undefined) return { name, file: candidate.path, entries };
  }
  throw new ConfigError(
    `definition of service "${name}" not found (searched ${searched.join(", ")})`,
    source === "config"
      ? { file: configFile, key: "connection_settings.service" }
      : { key: describeSource(source, "service") },
  );
}
