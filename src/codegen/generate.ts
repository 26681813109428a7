/**
 * `pgmonkey pgconfig generate-code`: complete, runnable Deno TypeScript
 * programs that connect with a pgmonkey config file and print the server
 * version — one per connection type, using either this library or plain
 * postgres.js. Pure: the programs are built from text, nothing is read.
 *
 * @example
 * ```ts
 * import { generateCode, generatedCodeHeader } from "./generate.ts";
 * console.log(generatedCodeHeader("pool", "pgmonkey"));
 * console.log(generateCode({ configPath: "config.yaml", connectionType: "pool", library: "pgmonkey" }));
 * ```
 *
 * @module
 */

import type { ConnectionType } from "../config/types.ts";

export type { ConnectionType };

/** The libraries `generate-code --library` can target. */
export type CodegenLibrary = "pgmonkey" | "postgres";

/** Every `--library` choice, default first. */
export const CODEGEN_LIBRARIES: readonly CodegenLibrary[] = ["pgmonkey", "postgres"];

/** The connection types code can be generated for, in upstream's order. */
export const CODEGEN_CONNECTION_TYPES: readonly ConnectionType[] = [
  "normal",
  "pool",
  "async",
  "async_pool",
];

/**
 * How the header line and the example comment describe each connection
 * type — pgmonkey (Python)'s wording (`Generated normal synchronous
 * connection code using pgmonkey:`).
 */
export const CONNECTION_DESCRIPTIONS: Readonly<Record<ConnectionType, string>> = {
  normal: "normal synchronous",
  pool: "pooled synchronous",
  async: "asynchronous",
  async_pool: "asynchronous pooled",
};

/** The library names shown in the header line and the example comment. */
export const LIBRARY_LABELS: Readonly<Record<CodegenLibrary, string>> = {
  pgmonkey: "pgmonkey",
  postgres: "postgres.js",
};

/** The import specifier of this library in generated programs. */
export const PGMONKEY_SPECIFIER = "jsr:@pgmonkey/pgmonkey";

/** The postgres.js specifier in generated programs (the version this project uses). */
export const POSTGRES_SPECIFIER = "npm:postgres@3.4.9";

/** The YAML parser specifier in generated programs (the version this project uses). */
export const YAML_SPECIFIER = "npm:yaml@2.9.1";

/** The line `generate-code` prints first, as pgmonkey (Python) does. */
export const CONFIG_DETECTED_LINE = "postgresql database config file has been detected...";

/** What {@link generateCode} needs. */
export interface GenerateCodeOptions {
  /** The config file path, written into the program as given (relative paths stay relative). */
  readonly configPath: string;
  /** The connection type the program uses. */
  readonly connectionType: ConnectionType;
  /** `pgmonkey` (this library) or `postgres` (plain postgres.js reading the same YAML). */
  readonly library: CodegenLibrary;
}

/**
 * The header line printed before the code, e.g.
 * `Generated pooled synchronous connection code using pgmonkey:`.
 *
 * @example
 * ```ts
 * import { generatedCodeHeader } from "./generate.ts";
 * generatedCodeHeader("async", "postgres");
 * // "Generated asynchronous connection code using postgres.js:"
 * ```
 */
export function generatedCodeHeader(type: ConnectionType, library: CodegenLibrary): string {
  checkChoices(type, library);
  return `Generated ${CONNECTION_DESCRIPTIONS[type]} connection code using ${
    LIBRARY_LABELS[library]
  }:`;
}

/**
 * What `generate-code` prints after {@link CONFIG_DETECTED_LINE}: the header
 * line, a blank line, then the program (which ends with `\n`).
 *
 * @example
 * ```ts
 * import { formatGeneratedCode } from "./generate.ts";
 * const text = formatGeneratedCode({
 *   configPath: "cfg.yaml",
 *   connectionType: "normal",
 *   library: "pgmonkey",
 * });
 * text.split("\n")[0]; // "Generated normal synchronous connection code using pgmonkey:"
 * ```
 */
export function formatGeneratedCode(options: GenerateCodeOptions): string {
  return `${generatedCodeHeader(options.connectionType, options.library)}\n\n${
    generateCode(options)
  }`;
}

/**
 * A complete Deno TypeScript program that opens a connection of
 * `connectionType` with the config at `configPath`, prints
 * `SELECT version()` and closes everything, so the process exits.
 *
 * - `pgmonkey`: `PGConnectionManager.getDatabaseConnection(path, type)`;
 *   pools run the query in `db.transaction()`, dedicated connections use
 *   `db.sql`; ends with `manager.clearCache()`.
 * - `postgres`: plain postgres.js reading the same YAML (YAML 1.1, legacy
 *   `postgresql:` wrapper unwrapped) and mapping it as pgmonkey does:
 *   `connection_settings` (sslmode → `ssl`, `verify-ca`/`verify-full` with the
 *   `sslrootcert` CA and `sslcert`/`sslkey`), `sync_settings` (normal/pool)
 *   or `async_settings` (async/async_pool) plus `application_name` as startup
 *   parameters, `max` from `pool_settings`/`async_pool_settings` (1 for
 *   dedicated types); ends with `sql.end()`.
 *
 * @throws {RangeError} for an unknown connection type or library.
 *
 * @example
 * ```ts
 * import { generateCode } from "./generate.ts";
 * const program = generateCode({
 *   configPath: "/etc/app/pg.yaml",
 *   connectionType: "async_pool",
 *   library: "postgres",
 * });
 * await Deno.writeTextFile("version.ts", program); // deno run -A version.ts
 * ```
 */
export function generateCode(options: GenerateCodeOptions): string {
  const { configPath, connectionType: type, library } = options;
  checkChoices(type, library);
  const path = JSON.stringify(configPath);
  return library === "pgmonkey" ? pgmonkeyProgram(path, type) : postgresProgram(path, type);
}

/**
 * Rewrites the `jsr:@pgmonkey/pgmonkey` import of a generated program to
 * `modUrl` (e.g. the file URL of this repository's `mod.ts`), so the program
 * can be type-checked or run before the package is published. Other imports
 * stay as they are.
 *
 * @example
 * ```ts
 * import { generateCode, rewriteImportsForLocalRun } from "./generate.ts";
 * const code = generateCode({ configPath: "cfg.yaml", connectionType: "pool", library: "pgmonkey" });
 * const local = rewriteImportsForLocalRun(code, new URL("../../mod.ts", import.meta.url));
 * ```
 */
export function rewriteImportsForLocalRun(code: string, modUrl: string | URL): string {
  return code.replaceAll(JSON.stringify(PGMONKEY_SPECIFIER), JSON.stringify(String(modUrl)));
}

function checkChoices(type: string, library: string): void {
  if (!(CODEGEN_CONNECTION_TYPES as readonly string[]).includes(type)) {
    throw new RangeError(
      `Unsupported connection type: '${type}'. Valid types: ${CODEGEN_CONNECTION_TYPES.join(", ")}`,
    );
  }
  if (!(CODEGEN_LIBRARIES as readonly string[]).includes(library)) {
    throw new RangeError(
      `Unsupported library: '${library}'. Valid libraries: ${CODEGEN_LIBRARIES.join(", ")}`,
    );
  }
}

function isPool(type: ConnectionType): boolean {
  return type === "pool" || type === "async_pool";
}

/** "Normal synchronous", "Asynchronous pooled", … */
function title(type: ConnectionType): string {
  const d = CONNECTION_DESCRIPTIONS[type];
  return d[0].toUpperCase() + d.slice(1);
}

/** What the type means in Deno, where every call is awaited. */
const TYPE_NOTES: Record<ConnectionType, string> = {
  normal: "One dedicated connection with sync_settings (in Deno every call is awaited).",
  pool: "A pool sized by pool_settings, sessions get sync_settings.",
  async: "One dedicated connection with async_settings.",
  async_pool: "A pool sized by async_pool_settings, sessions get async_settings.",
};

const RUN_HINT = "// Run: deno run --allow-read --allow-net --allow-env --allow-sys <this file>";

function pgmonkeyProgram(path: string, type: ConnectionType): string {
  const header = [
    `// Example: ${title(type)} connection using pgmonkey`,
    "// One config file serves all connection types - just pass the type you need.",
    `// ${TYPE_NOTES[type]}`,
    RUN_HINT,
    "",
    `import { PGConnectionManager } from ${JSON.stringify(PGMONKEY_SPECIFIER)};`,
    "",
    "const manager = new PGConnectionManager();",
    "",
  ];
  const body = isPool(type)
    ? [
      `// Get a pooled PostgreSQL connection (${type})`,
      `const db = await manager.getDatabaseConnection(${path}, "${type}");`,
      "",
      "try {",
      "  // Each transaction() borrows a connection, commits (or rolls back on error)",
      "  // and gives it back to the pool",
      "  const version = await db.transaction(async (tx) => {",
      "    const [row] = await tx<{ version: string }[]>`SELECT version()`;",
      "    return row.version;",
      "  });",
      "  console.log(version);",
      "} finally {",
      "  // Close every connection and pool the manager opened",
      "  await manager.clearCache();",
      "}",
    ]
    : [
      `// Get a dedicated PostgreSQL connection (${type})`,
      `const db = await manager.getDatabaseConnection(${path}, "${type}");`,
      "",
      "try {",
      "  // db.sql is the postgres.js tagged-template client (autocommit)",
      "  const [{ version }] = await db.sql<{ version: string }[]>`SELECT version()`;",
      "  console.log(version);",
      "} finally {",
      "  // Close every connection the manager opened",
      "  await manager.clearCache();",
      "}",
    ];
  return [...header, ...body].map((line) => `${line}\n`).join("");
}

function postgresProgram(path: string, type: ConnectionType): string {
  const pooled = isPool(type);
  const sessionSection = type === "normal" || type === "pool" ? "sync_settings" : "async_settings";
  const poolSection = type === "pool" ? "pool_settings" : "async_pool_settings";
  const reads = {
    normal: "connection and sync settings",
    pool: "connection, pool, and sync settings",
    async: "connection and async settings",
    async_pool: "connection, pool, and async settings",
  }[type];
  const lines = [
    `// Example: ${title(type)} connection using postgres.js`,
    `// Reads ${reads} from your pgmonkey YAML config file.`,
    `// ${TYPE_NOTES[type]}`,
    "// ${VAR} / from_env / from_file references are not resolved here (pgmonkey",
    "// resolves them with resolveEnv: true).",
    RUN_HINT,
    "",
    `import postgres from ${JSON.stringify(POSTGRES_SPECIFIER)};`,
    `import { parse } from ${JSON.stringify(YAML_SPECIFIER)};`,
    "",
    "type Section = Record<string, unknown>;",
    "",
    "/** A mapping of the config file; a missing or empty section is {}. */",
    "function section(value: unknown): Section {",
    '  return typeof value === "object" && value !== null ? value as Section : {};',
    "}",
    "",
    "/** A setting as text; missing, null and empty values count as not set. */",
    "function text(value: unknown): string | undefined {",
    '  return value === undefined || value === null || value === ""',
    "    ? undefined",
    "    : String(value);",
    "}",
    "",
    "/** A numeric setting (YAML may give '5432' as a string). */",
    "function num(value: unknown): number | undefined {",
    "  const t = text(value);",
    "  return t === undefined ? undefined : Number(t);",
    "}",
    "",
    "/** libpq's sslmode as the postgres.js `ssl` option. */",
    "function tls(",
    "  settings: Section,",
    '): boolean | "allow" | "prefer" | "require" | object {',
    '  const mode = text(settings.sslmode) ?? "prefer";',
    '  if (mode === "disable") return false;',
    '  if (mode === "allow" || mode === "prefer" || mode === "require") return mode;',
    '  if (mode !== "verify-ca" && mode !== "verify-full") {',
    "    throw new Error(`unsupported sslmode: ${mode}`);",
    "  }",
    "  const ca = text(settings.sslrootcert);",
    "  const cert = text(settings.sslcert);",
    "  const key = text(settings.sslkey);",
    "  return {",
    '    // Node checks the certificate against `host` (without it: "localhost")',
    '    host: text(settings.host) ?? "localhost",',
    "    rejectUnauthorized: true,",
    "    ...(ca ? { ca: Deno.readTextFileSync(ca) } : {}),",
    "    ...(cert ? { cert: Deno.readTextFileSync(cert) } : {}),",
    "    ...(key ? { key: Deno.readTextFileSync(key) } : {}),",
    "    // verify-ca checks the certificate chain but not the host name",
    '    ...(mode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),',
    "  };",
    "}",
    "",
    "// YAML 1.1, as pgmonkey reads it; old files wrap everything in `postgresql:`",
    "const parsed = section(",
    `  parse(await Deno.readTextFile(${path}), { version: "1.1" }),`,
    ");",
    "const config = section(parsed.postgresql ?? parsed);",
    "const conn = section(config.connection_settings);",
    `const session = section(config.${sessionSection});`,
    ...(pooled ? [`const pool = section(config.${poolSection});`] : []),
    "",
    "// Session settings travel as startup parameters: no extra round trip",
    "const connection: Record<string, string> = {};",
    "const applicationName = text(conn.application_name);",
    "if (applicationName) connection.application_name = applicationName;",
    "for (const [name, value] of Object.entries(session)) {",
    "  connection[name] = String(value);",
    "}",
    "",
    "const sql = postgres({",
    "  host: text(conn.host),",
    "  port: num(conn.port),",
    "  database: text(conn.dbname),",
    "  user: text(conn.user),",
    "  password: text(conn.password),",
    "  ssl: tls(conn),",
    "  connect_timeout: num(conn.connect_timeout) || 30,",
    '  keep_alive: text(conn.keepalives) === "0"',
    "    ? null",
    "    : num(conn.keepalives_idle) ?? 60,",
    "  connection,",
    ...(pooled
      ? [
        "  // pool size and lifetimes as psycopg_pool (and pgmonkey) read them",
        "  max: num(pool.max_size) ?? num(pool.min_size) ?? 4,",
        "  idle_timeout: num(pool.max_idle) ?? 600,",
        "  max_lifetime: num(pool.max_lifetime) ?? 3600,",
      ]
      : ["  max: 1, // one dedicated connection"]),
    "});",
    "",
    "try {",
    "  const [{ version }] = await sql<{ version: string }[]>`SELECT version()`;",
    "  console.log(version);",
    "} finally {",
    "  await sql.end();",
    "}",
  ];
  return lines.map((line) => `${line}\n`).join("");
}
