/**
 * The command-line surface of `pgmonkey`: every command, flag and help text,
 * with pgmonkey (Python)'s names (`--filepath`/`--connconfig`,
 * `--connection-type`, `--resolve-env`, `--import_file`, …). Handlers live in
 * one file per command and are wired up in `main.ts`.
 *
 * @example
 * ```ts
 * import { formatHelp } from "./args.ts";
 * import { PGCONFIG_TEST } from "./commands.ts";
 * console.log(formatHelp(PGCONFIG_TEST));
 * ```
 *
 * @module
 */
import { CONNECTION_TYPES } from "../config/types.ts";
import type { WarningHandler } from "../config/warn.ts";
import { CODEGEN_RUNTIMES, currentRuntime } from "../codegen/generate.ts";
import type { CommandSpec, OptionSpec, ParsedArgs } from "./args.ts";
import type { Output, Secrets } from "./output.ts";

/** What a command handler gets besides its flags. */
export interface CommandContext {
  /** Where to print. */
  readonly io: Output;
  /** Secrets seen so far; every error text is redacted with them. */
  readonly secrets: Secrets;
  /** Where config warnings go (stderr, redacted, `pgmonkey: warning: ` prefix). */
  readonly onWarning: WarningHandler;
}

/** Runs one command; resolves to its exit status. Expected failures may also throw. */
export type CommandHandler = (args: ParsedArgs, ctx: CommandContext) => Promise<number>;

const RESOLVE_ENV: OptionSpec = {
  name: "resolve-env",
  kind: "boolean",
  help: "Resolve ${VAR} environment variable references and from_env/from_file secret " +
    "references in the config file.",
};

const ALLOW_SENSITIVE_DEFAULTS: OptionSpec = {
  name: "allow-sensitive-defaults",
  kind: "boolean",
  help: "Allow ${VAR:-default} fallback values for sensitive keys like password. Only " +
    "useful with --resolve-env.",
};

function connectionType(help: string): OptionSpec {
  return { name: "connection-type", kind: "string", choices: CONNECTION_TYPES, help };
}

function filepath(help: string): OptionSpec {
  return {
    name: "filepath",
    aliases: ["connconfig"],
    kind: "string",
    metavar: "FILEPATH",
    required: true,
    help,
  };
}

const EXIT_STATUS = "Exit status: 0 ok, 1 failure (connection, file, validation), 2 usage error.";

/** `pgmonkey pgconfig create`. */
export const PGCONFIG_CREATE: CommandSpec = {
  prog: "pgmonkey pgconfig create",
  name: "create",
  summary: "Create a new database configuration file.",
  description: "Writes the commented configuration template to FILEPATH, creating parent " +
    "folders. An existing file is never overwritten.",
  options: [
    {
      name: "type",
      kind: "string",
      choices: ["pg"],
      default: "pg",
      help: 'Database type for the configuration template. Default is "pg".',
    },
    filepath("Path to where you want your configuration file created."),
    {
      ...RESOLVE_ENV,
      help: "Accepted for consistency with the other commands; the template is written as is.",
    },
  ],
  epilog: [EXIT_STATUS],
};

/** `pgmonkey pgconfig test`. */
export const PGCONFIG_TEST: CommandSpec = {
  prog: "pgmonkey pgconfig test",
  name: "test",
  summary: "Test the database connection using a configuration file.",
  description: "Connects with the chosen connection type, runs SELECT 1 (pools also hold " +
    "min(max_size, min_size + 1) connections at once), and prints the server version, the " +
    "connection type, whether TLS is in use and the time taken. A failed test prints one line " +
    "on stderr and exits 1.",
  options: [
    filepath("Path to the configuration file you want to test."),
    connectionType("Connection type to test. Overrides the value in the config file."),
    RESOLVE_ENV,
    ALLOW_SENSITIVE_DEFAULTS,
  ],
  epilog: [EXIT_STATUS],
};

/** `pgmonkey pgconfig generate-code`. */
export const PGCONFIG_GENERATE_CODE: CommandSpec = {
  prog: "pgmonkey pgconfig generate-code",
  name: "generate-code",
  summary: "Generate TypeScript code to connect using a configuration file.",
  description: "Prints a complete TypeScript program (for Deno or Node) that connects with the " +
    "configuration file and prints the server version. The program goes to stdout and the two " +
    "header lines to stderr, so 'pgmonkey pgconfig generate-code ... > app.ts' saves a program " +
    "that runs as it is.",
  options: [
    filepath("Path to the configuration file you want to use."),
    connectionType(
      "Connection type for generated code. Overrides the value in the config file.",
    ),
    {
      name: "library",
      kind: "string",
      choices: ["pgmonkey", "postgres"],
      choiceAliases: { psycopg: "postgres" },
      default: "pgmonkey",
      help: 'Target library for generated code. "pgmonkey" (default) generates code using ' +
        'pgmonkey. "postgres" generates code using postgres.js directly. "psycopg" is ' +
        'accepted as an alias of "postgres", for pgmonkey (Python) users.',
    },
    {
      name: "runtime",
      kind: "string",
      choices: CODEGEN_RUNTIMES,
      default: currentRuntime(),
      help: 'Runtime of the generated program: "deno" (jsr:/npm: imports, Deno APIs) or "node" ' +
        "(npm packages pgmonkey-deno, postgres and yaml; node: built-ins). Default: the runtime " +
        "this CLI runs on.",
    },
    {
      ...RESOLVE_ENV,
      help: RESOLVE_ENV.help + " Also used to read connection_type. The generated program then " +
        "resolves them at run time (pgmonkey: resolveEnv: true; postgres: the same rules); " +
        "without it, a postgres program refuses a setting that holds one.",
    },
    {
      ...ALLOW_SENSITIVE_DEFAULTS,
      help: ALLOW_SENSITIVE_DEFAULTS.help + " Also passed on to the generated program.",
    },
  ],
  epilog: [EXIT_STATUS],
};

/** `pgmonkey pgconfig`. */
export const PGCONFIG: CommandSpec = {
  prog: "pgmonkey pgconfig",
  name: "pgconfig",
  summary: "Manage database configurations",
  options: [],
  commands: [PGCONFIG_CREATE, PGCONFIG_TEST, PGCONFIG_GENERATE_CODE],
  commandsTitle: "positional arguments",
  commandsHelp: "pgconfig commands",
  epilog: ["Run 'pgmonkey pgconfig <command> --help' for the flags of a command."],
};

/** `pgmonkey pgserverconfig`. */
export const PGSERVERCONFIG: CommandSpec = {
  prog: "pgmonkey pgserverconfig",
  name: "pgserverconfig",
  summary: "Generate suggested server configuration entries",
  description: "Prints the pg_hba.conf and postgresql.conf entries the configuration file " +
    "needs on the server. With --audit, connects (connection type normal, read-only) and " +
    "compares them with the server's current settings; if the server cannot be reached it " +
    "says so on stderr, prints the recommendations only and exits 1.",
  options: [
    filepath("Path to the config you want settings generated."),
    {
      name: "audit",
      kind: "boolean",
      help: "Connect to the server and compare current settings against recommendations.",
    },
    {
      name: "strict",
      kind: "boolean",
      help: "With --audit: exit 1 when a setting's status is MISMATCH (or the server settings " +
        "cannot be read). Without it the audit exits 0 whatever the statuses.",
    },
    RESOLVE_ENV,
    ALLOW_SENSITIVE_DEFAULTS,
  ],
  epilog: [
    "Exit status: 0 ok, 1 failure (connection, file, validation; with --audit --strict also a " +
    "MISMATCH), 2 usage error.",
  ],
};

/** `pgmonkey pgimport`. */
export const PGIMPORT: CommandSpec = {
  prog: "pgmonkey pgimport",
  name: "pgimport",
  summary: "Import CSV and text files to the PostgreSQL database",
  options: [
    { name: "import_file", kind: "string", required: true, help: "Path to the file to import." },
    {
      name: "table",
      kind: "string",
      required: true,
      help: "Name of the target table in the database (schema.table or table).",
    },
    {
      name: "connconfig",
      kind: "string",
      required: true,
      help: "Path to the connection config file.",
    },
    {
      name: "jobs",
      kind: "string",
      metavar: "N",
      help: "Parallel COPY streams (connections) for an import into a new table, 1 to 64; " +
        "overrides `jobs` in the import settings file (default 1). All or nothing: the rows " +
        "go into a staging table that is renamed to the table only when every stream " +
        "succeeded.",
    },
    RESOLVE_ENV,
    ALLOW_SENSITIVE_DEFAULTS,
  ],
  epilog: [EXIT_STATUS],
};

/** `pgmonkey pgexport`. */
export const PGEXPORT: CommandSpec = {
  prog: "pgmonkey pgexport",
  name: "pgexport",
  summary: "Export PostgreSQL table data to a CSV file",
  options: [
    {
      name: "table",
      kind: "string",
      required: true,
      help: "Name of the source table in the database (schema.table or table).",
    },
    {
      name: "connconfig",
      kind: "string",
      required: true,
      help: "Path to the connection config file.",
    },
    {
      name: "export_file",
      kind: "string",
      help: "Path to the CSV file to export to (default: based on table name).",
    },
    RESOLVE_ENV,
    ALLOW_SENSITIVE_DEFAULTS,
  ],
  epilog: [EXIT_STATUS],
};

/** `pgmonkey` itself. */
export const PGMONKEY: CommandSpec = {
  prog: "pgmonkey",
  name: "pgmonkey",
  summary: "",
  description: "pgmonkey: A tool to assist with database connections and manage data.",
  options: [{
    name: "version",
    kind: "boolean",
    help: "show program's version number and exit",
  }],
  commands: [PGCONFIG, PGSERVERCONFIG, PGIMPORT, PGEXPORT],
  epilog: ["Run 'pgmonkey <command> --help' for the flags of a command.", EXIT_STATUS],
};
