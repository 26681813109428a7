/**
 * The generated program that uses this library: the handle API
 * (`manager.getDatabaseConnection`, `db.sql`, `db.transaction`,
 * `db.acquire`, `manager.clearCache`).
 *
 * @module
 */
import type { ConnectionType } from "../config/types.ts";
import { exampleTitle, isPoolType, joinLines, TYPE_NOTES } from "./describe.ts";
import type { RuntimeProfile } from "./runtime.ts";

/** What {@link pgmonkeyProgram} needs. */
export interface PgmonkeyProgramOptions {
  /** The config path as a string literal. */
  readonly pathLiteral: string;
  /** The connection type. */
  readonly type: ConnectionType;
  /** Where the program runs. */
  readonly runtime: RuntimeProfile;
  /** Pass `resolveEnv: true` (the CLI's `--resolve-env`). */
  readonly resolveEnv: boolean;
  /** Pass `allowSensitiveDefaults: true` (the CLI's `--allow-sensitive-defaults`). */
  readonly allowSensitiveDefaults: boolean;
}

/** The `getDatabaseConnection` call: `(path, type)`, or with a loader options object. */
function getConnectionCall(
  type: ConnectionType,
  resolveEnv: boolean,
  allowDefaults: boolean,
): string[] {
  const call = `  const db = await manager.getDatabaseConnection(configFilePath, "${type}"`;
  if (!resolveEnv) return [`${call});`];
  return [
    `${call}, {`,
    "    resolveEnv: true,",
    ...(allowDefaults ? ["    allowSensitiveDefaults: true,"] : []),
    "  });",
  ];
}

/**
 * A complete program: gets a handle of `type`, prints the server version
 * (`db.sql`), runs `SELECT 1` in a transaction, borrows one connection with
 * `acquire()`, and closes everything with `manager.clearCache()`.
 *
 * @example
 * ```ts
 * import { pgmonkeyProgram } from "./pgmonkey_program.ts";
 * import { runtimeProfile } from "./runtime.ts";
 * pgmonkeyProgram({
 *   pathLiteral: '"cfg.yaml"',
 *   type: "pool",
 *   runtime: runtimeProfile("deno"),
 *   resolveEnv: true,
 *   allowSensitiveDefaults: false,
 * });
 * ```
 */
export function pgmonkeyProgram(options: PgmonkeyProgramOptions): string {
  const { pathLiteral, type, runtime } = options;
  const pooled = isPoolType(type);
  const what = pooled ? "pooled" : "dedicated";
  const resolveNote = options.resolveEnv
    ? ["// resolveEnv: true resolves ${VAR}, ${VAR:-default}, from_env and from_file."]
    : [];
  return joinLines([
    exampleTitle(type, "pgmonkey"),
    "// One config file serves all connection types - just pass the type you need.",
    `// ${TYPE_NOTES[type]}`,
    ...resolveNote,
    runtime.runHint,
    "",
    `import { PGConnectionManager } from ${JSON.stringify(runtime.pgmonkey)};`,
    "",
    "async function main(): Promise<void> {",
    "  const manager = new PGConnectionManager();",
    `  const configFilePath = ${pathLiteral};`,
    "",
    `  // Get a ${what} PostgreSQL connection (${type})`,
    ...getConnectionCall(type, options.resolveEnv, options.allowSensitiveDefaults),
    "",
    "  try {",
    "    // db.sql is the postgres.js tagged-template client (autocommit)",
    "    const [{ version }] = await db.sql<{ version: string }[]>`SELECT version()`;",
    "    console.log(version);",
    "",
    pooled
      ? "    // transaction() borrows a connection, commits (rolls back on error), gives it back"
      : "    // transaction(): BEGIN, COMMIT when the callback returns, ROLLBACK when it throws",
    "    const one = await db.transaction(async (tx) => {",
    "      const [row] = await tx<{ one: number }[]>`SELECT 1 AS one`;",
    "      return row.one;",
    "    });",
    "    console.log(one);",
    "",
    "    // acquire() lends one connection without a transaction (VACUUM, LISTEN, COPY)",
    "    const conn = await db.acquire();",
    "    try {",
    "      await conn.sql`SELECT pg_backend_pid()`;",
    "    } finally {",
    "      conn.release();",
    "    }",
    "  } finally {",
    `    // Close every connection${pooled ? " and pool" : ""} the manager opened`,
    "    await manager.clearCache();",
    "  }",
    "}",
    "",
    "await main();",
  ]);
}
