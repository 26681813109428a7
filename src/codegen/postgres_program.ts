/**
 * The generated program that uses plain postgres.js: it reads the same
 * YAML file and maps it as pgmonkey does. `${VAR}`, `from_env` and
 * `from_file` are resolved (generated with `--resolve-env`, pgmonkey's
 * rules and error texts) or refused with a clear error (without).
 *
 * @module
 */
import type { ConnectionType } from "../config/types.ts";
import { exampleTitle, isPoolType, joinLines, TYPE_NOTES } from "./describe.ts";
import type { RuntimeProfile } from "./runtime.ts";

/** What {@link postgresProgram} needs. */
export interface PostgresProgramOptions {
  /** The config path as a string literal. */
  readonly pathLiteral: string;
  /** The connection type. */
  readonly type: ConnectionType;
  /** Where the program runs. */
  readonly runtime: RuntimeProfile;
  /** Resolve references in the program (the CLI's `--resolve-env`); else refuse them. */
  readonly resolveEnv: boolean;
  /** Allow `${VAR:-default}` on sensitive keys (the CLI's `--allow-sensitive-defaults`). */
  readonly allowSensitiveDefaults: boolean;
}

/** `resolve()` as pgmonkey's `resolveEnv: true` does it. */
function resolvingHelpers(runtime: RuntimeProfile, allowSensitiveDefaults: boolean): string[] {
  return [
    "const ENV_REFERENCE = /\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^\\n]*?))?\\}/g;",
    "const SENSITIVE_KEY =",
    "  /^(password|sslkey|sslcert|sslrootcert)$|token|secret|credential/i;",
    `const ALLOW_SENSITIVE_DEFAULTS = ${allowSensitiveDefaults};`,
    "",
    "/** ${VAR}, ${VAR:-default}, {from_env: NAME} and {from_file: PATH}, as pgmonkey resolves them. */",
    "function resolve(value: unknown, key: string): unknown {",
    "  const ref = section(value);",
    "  const [kind, ...more] = Object.keys(ref);",
    '  if (kind === "from_env" && more.length === 0) {',
    "    const name = String(ref.from_env);",
    `    const found = ${runtime.env("name")};`,
    "    if (found === undefined) {",
    "      throw new Error(",
    "        `Environment variable '${name}' is not set (referenced by config key '${key}' via from_env).`,",
    "      );",
    "    }",
    "    return found;",
    "  }",
    '  if (kind === "from_file" && more.length === 0) {',
    `    const content = ${runtime.readTextFile("String(ref.from_file)")};`,
    '    return content.replace(/\\r\\n?/g, "\\n").replace(/\\n+$/, "");',
    "  }",
    '  if (typeof value !== "string") return value;',
    "  return value.replace(",
    "    ENV_REFERENCE,",
    "    (_match: string, name: string, fallback?: string) => {",
    `      const found = ${runtime.env("name")};`,
    "      if (found !== undefined) return found;",
    "      if (fallback === undefined) {",
    "        throw new Error(",
    "          `Environment variable '${name}' is not set and no default was provided (referenced by config key '${key}').`,",
    "        );",
    "      }",
    "      if (",
    "        !ALLOW_SENSITIVE_DEFAULTS &&",
    '        SENSITIVE_KEY.test(key.slice(key.lastIndexOf(".") + 1))',
    "      ) {",
    "        throw new Error(",
    "          `Default values are not allowed for sensitive key '${key}'. Set the environment variable \\${${name}} instead.`,",
    "        );",
    "      }",
    "      return fallback;",
    "    },",
    "  );",
    "}",
  ];
}

/** `resolve()` that refuses references (generated without `--resolve-env`). */
const REFUSING_HELPERS = [
  "const ENV_REFERENCE = /\\$\\{[A-Za-z_][A-Za-z0-9_]*(?::-[^\\n]*?)?\\}/;",
  "",
  "/** Refuses ${VAR}, from_env and from_file: this program was generated without --resolve-env. */",
  "function resolve(value: unknown, key: string): unknown {",
  "  if (",
  '    (typeof value === "object" && value !== null) ||',
  "    ENV_REFERENCE.test(String(value))",
  "  ) {",
  "    throw new Error(",
  "      `${key} holds a \\${VAR}, from_env or from_file reference: generate this program ` +",
  '        "with --resolve-env to resolve it, or write the value itself",',
  "    );",
  "  }",
  "  return value;",
  "}",
];

/**
 * A complete program: reads the YAML file (YAML 1.1, legacy `postgresql:`
 * wrapper unwrapped), maps `connection_settings` (sslmode → `ssl`,
 * `verify-ca`/`verify-full` with the `sslrootcert` CA and
 * `sslcert`/`sslkey`), `sync_settings` (normal/pool) or `async_settings`
 * (async/async_pool) plus `application_name` as startup parameters, and
 * `max` from `pool_settings`/`async_pool_settings` (1 for dedicated types),
 * prints the server version and ends with `sql.end()`.
 *
 * @example
 * ```ts
 * import { postgresProgram } from "./postgres_program.ts";
 * import { runtimeProfile } from "./runtime.ts";
 * postgresProgram({
 *   pathLiteral: '"cfg.yaml"',
 *   type: "async_pool",
 *   runtime: runtimeProfile("node"),
 *   resolveEnv: false,
 *   allowSensitiveDefaults: false,
 * });
 * ```
 */
export function postgresProgram(options: PostgresProgramOptions): string {
  const { pathLiteral, type, runtime } = options;
  const pooled = isPoolType(type);
  const sessionSection = type === "normal" || type === "pool" ? "sync_settings" : "async_settings";
  const poolSection = type === "pool" ? "pool_settings" : "async_pool_settings";
  const reads = {
    normal: "connection and sync settings",
    pool: "connection, pool, and sync settings",
    async: "connection and async settings",
    async_pool: "connection, pool, and async settings",
  }[type];
  const references = options.resolveEnv
    ? [
      "// ${VAR}, ${VAR:-default}, from_env and from_file are resolved as pgmonkey's",
      "// resolveEnv: true does (same rules and messages).",
    ]
    : [
      "// ${VAR}, from_env and from_file are not resolved (generated without --resolve-env):",
      "// a setting that holds one is an error.",
    ];
  return joinLines([
    exampleTitle(type, "postgres"),
    `// Reads ${reads} from your pgmonkey YAML config file.`,
    `// ${TYPE_NOTES[type]}`,
    ...references,
    runtime.runHint,
    "",
    ...runtime.builtinImports(options.resolveEnv),
    `import postgres from ${JSON.stringify(runtime.postgres)};`,
    `import { parse } from ${JSON.stringify(runtime.yaml)};`,
    "",
    "type Section = Record<string, unknown>;",
    "",
    "/** A mapping of the config file; a missing or empty section is {}. */",
    "function section(value: unknown): Section {",
    '  return typeof value === "object" && value !== null && !Array.isArray(value)',
    "    ? value as Section",
    "    : {};",
    "}",
    "",
    ...(options.resolveEnv
      ? resolvingHelpers(runtime, options.allowSensitiveDefaults)
      : REFUSING_HELPERS),
    "",
    "/** A setting as text; missing, null and empty values count as not set. */",
    "function text(",
    "  settings: Section,",
    "  name: string,",
    "  where: string,",
    "): string | undefined {",
    "  const value = resolve(settings[name], `${where}.${name}`);",
    '  return value === undefined || value === null || value === ""',
    "    ? undefined",
    "    : String(value);",
    "}",
    "",
    "/** A numeric setting (YAML may give '5432' as a string). */",
    "function num(",
    "  settings: Section,",
    "  name: string,",
    "  where: string,",
    "): number | undefined {",
    "  const value = text(settings, name, where);",
    "  if (value === undefined) return undefined;",
    "  const n = Number(value);",
    "  if (!Number.isFinite(n) || n < 0) {",
    "    throw new Error(`${where}.${name}: expected a number, got '${value}'`);",
    "  }",
    "  return n;",
    "}",
    "",
    "/** libpq's sslmode as the postgres.js `ssl` option. */",
    'function tls(conn: Section): boolean | "allow" | "prefer" | "require" | object {',
    '  const mode = text(conn, "sslmode", "connection_settings") ?? "prefer";',
    '  if (mode === "disable") return false;',
    '  if (mode === "allow" || mode === "prefer" || mode === "require") return mode;',
    '  if (mode !== "verify-ca" && mode !== "verify-full") {',
    "    throw new Error(",
    "      `connection_settings.sslmode: unsupported sslmode '${mode}'`,",
    "    );",
    "  }",
    "  const file = (name: string) => {",
    '    const path = text(conn, name, "connection_settings");',
    `    return path === undefined ? undefined : ${runtime.readTextFile("path")};`,
    "  };",
    "  const [ca, cert, key] = [",
    '    file("sslrootcert"),',
    '    file("sslcert"),',
    '    file("sslkey"),',
    "  ];",
    "  return {",
    '    // Node checks the certificate against `host` (without it: "localhost")',
    '    host: text(conn, "host", "connection_settings") ?? "localhost",',
    "    rejectUnauthorized: true,",
    "    ...(ca ? { ca } : {}),",
    "    ...(cert ? { cert } : {}),",
    "    ...(key ? { key } : {}),",
    "    // verify-ca checks the certificate chain but not the host name",
    '    ...(mode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),',
    "  };",
    "}",
    "",
    "async function main(): Promise<void> {",
    `  const configFilePath = ${pathLiteral};`,
    "",
    "  // YAML 1.1, as pgmonkey reads it; old files wrap everything in `postgresql:`",
    "  const parsed = section(",
    `    parse(${runtime.readTextFile("configFilePath")}, { version: "1.1" }),`,
    "  );",
    "  const config = section(parsed.postgresql ?? parsed);",
    '  const cs = "connection_settings";',
    "  const conn = section(config.connection_settings);",
    `  const session = section(config.${sessionSection});`,
    ...(pooled
      ? [`  const ps = "${poolSection}";`, `  const pool = section(config.${poolSection});`]
      : []),
    "",
    "  // Session settings travel as startup parameters: no extra round trip",
    "  const connection: Record<string, string> = {};",
    '  const applicationName = text(conn, "application_name", cs);',
    "  if (applicationName) connection.application_name = applicationName;",
    "  for (const name of Object.keys(session)) {",
    `    const value = text(session, name, "${sessionSection}");`,
    "    if (value !== undefined) connection[name] = value;",
    "  }",
    "",
    "  const sql = postgres({",
    '    host: text(conn, "host", cs),',
    '    port: num(conn, "port", cs),',
    '    database: text(conn, "dbname", cs),',
    '    user: text(conn, "user", cs),',
    '    password: text(conn, "password", cs),',
    "    ssl: tls(conn),",
    '    connect_timeout: num(conn, "connect_timeout", cs) || 30,',
    '    keep_alive: text(conn, "keepalives", cs) === "0"',
    "      ? null",
    '      : num(conn, "keepalives_idle", cs) ?? 60,',
    "    connection,",
    ...(pooled
      ? [
        "    // pool size and lifetimes as psycopg_pool (and pgmonkey) read them",
        '    max: num(pool, "max_size", ps) ?? num(pool, "min_size", ps) ?? 4,',
        '    idle_timeout: num(pool, "max_idle", ps) ?? 600,',
        '    max_lifetime: num(pool, "max_lifetime", ps) ?? 3600,',
      ]
      : ["    max: 1, // one dedicated connection"]),
    "  });",
    "",
    "  try {",
    "    const [{ version }] = await sql<{ version: string }[]>`SELECT version()`;",
    "    console.log(version);",
    "  } finally {",
    "    await sql.end();",
    "  }",
    "}",
    "",
    "await main();",
  ]);
}
