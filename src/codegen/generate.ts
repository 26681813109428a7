/**
 * `pgmonkey pgconfig generate-code`: complete, runnable TypeScript programs
 * that connect with a pgmonkey config file — one per connection type, using
 * this library or plain postgres.js, for Deno or for Node. Pure: the
 * programs are built from text, nothing is read.
 *
 * What the CLI prints follows pgmonkey (Python): a "config file has been
 * detected" line and a header line — on stderr here, so that
 * `pgmonkey pgconfig generate-code … > app.ts` saves a program that runs —
 * then the program on stdout.
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
import {
  type CodegenLibrary,
  CONNECTION_DESCRIPTIONS,
  exampleTitle,
  LIBRARY_LABELS,
} from "./describe.ts";
import { pgmonkeyProgram } from "./pgmonkey_program.ts";
import { postgresProgram } from "./postgres_program.ts";
import {
  CODEGEN_RUNTIMES,
  type CodegenRuntime,
  currentRuntime,
  runtimeProfile,
} from "./runtime.ts";

export type { CodegenLibrary, CodegenRuntime, ConnectionType };
export { CODEGEN_RUNTIMES, CONNECTION_DESCRIPTIONS, currentRuntime, exampleTitle, LIBRARY_LABELS };

/** Every `--library` choice, default first. */
export const CODEGEN_LIBRARIES: readonly CodegenLibrary[] = ["pgmonkey", "postgres"];

/** The connection types code can be generated for, in upstream's order. */
export const CODEGEN_CONNECTION_TYPES: readonly ConnectionType[] = [
  "normal",
  "pool",
  "async",
  "async_pool",
];

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
  /** `deno` (default) or `node`: import specifiers and file/env APIs. */
  readonly runtime?: CodegenRuntime;
  /**
   * Resolve `${VAR}`, `from_env` and `from_file` at run time (the CLI's
   * `--resolve-env`): pgmonkey programs pass `resolveEnv: true`, postgres.js
   * programs resolve them with pgmonkey's rules. Without it, postgres.js
   * programs refuse a setting that holds a reference.
   */
  readonly resolveEnv?: boolean;
  /** Allow `${VAR:-default}` on sensitive keys (the CLI's `--allow-sensitive-defaults`). */
  readonly allowSensitiveDefaults?: boolean;
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
  checkChoices(type, library, "deno");
  return `Generated ${CONNECTION_DESCRIPTIONS[type]} connection code using ${
    LIBRARY_LABELS[library]
  }:`;
}

/**
 * A complete TypeScript program that opens a connection of `connectionType`
 * with the config at `configPath`, prints `SELECT version()` and closes
 * everything, so the process exits.
 *
 * - `pgmonkey`: `manager.getDatabaseConnection(path, type[, { resolveEnv: true }])`,
 *   then `db.sql`, `db.transaction()`, `db.acquire()`; ends with
 *   `manager.clearCache()`.
 * - `postgres`: plain postgres.js reading the same YAML and mapping it as
 *   pgmonkey does; ends with `sql.end()`.
 * - `runtime: "node"`: imports `pgmonkey-deno`, `postgres` and `yaml` from
 *   npm and uses `node:fs`/`node:process`, never `Deno.*`.
 *
 * @throws {RangeError} for an unknown connection type, library or runtime.
 *
 * @example
 * ```ts
 * import { generateCode } from "./generate.ts";
 * const program = generateCode({
 *   configPath: "/etc/app/pg.yaml",
 *   connectionType: "async_pool",
 *   library: "postgres",
 *   resolveEnv: true,
 * });
 * await Deno.writeTextFile("app.ts", program); // deno run -A app.ts
 * ```
 */
export function generateCode(options: GenerateCodeOptions): string {
  const { connectionType: type, library } = options;
  const runtime = options.runtime ?? "deno";
  checkChoices(type, library, runtime);
  const program = {
    pathLiteral: JSON.stringify(options.configPath),
    type,
    runtime: runtimeProfile(runtime),
    resolveEnv: options.resolveEnv ?? false,
    allowSensitiveDefaults: options.allowSensitiveDefaults ?? false,
  };
  return library === "pgmonkey" ? pgmonkeyProgram(program) : postgresProgram(program);
}

/**
 * Rewrites the `jsr:@pgmonkey/pgmonkey` import of a generated Deno program
 * to `modUrl` (e.g. the file URL of this repository's `mod.ts`), so the
 * program can be type-checked or run before the package is published. Other
 * imports stay as they are.
 *
 * @example
 * ```ts
 * import { generateCode, rewriteImportsForLocalRun } from "./generate.ts";
 * const code = generateCode({ configPath: "cfg.yaml", connectionType: "pool", library: "pgmonkey" });
 * const local = rewriteImportsForLocalRun(code, new URL("../../mod.ts", import.meta.url));
 * ```
 */
export function rewriteImportsForLocalRun(code: string, modUrl: string | URL): string {
  return code.replaceAll(
    JSON.stringify(runtimeProfile("deno").pgmonkey),
    JSON.stringify(String(modUrl)),
  );
}

function checkChoices(type: string, library: string, runtime: string): void {
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
  if (!(CODEGEN_RUNTIMES as readonly string[]).includes(runtime)) {
    throw new RangeError(
      `Unsupported runtime: '${runtime}'. Valid runtimes: ${CODEGEN_RUNTIMES.join(", ")}`,
    );
  }
}
