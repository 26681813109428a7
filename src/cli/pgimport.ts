/**
 * `pgmonkey pgimport`: imports a CSV/text file into a table (see
 * `src/transfer/importer.ts`). The first run writes the settings file and
 * stops.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import process from "node:process";
import { type PGConnection, PGConnectionManager } from "../../mod.ts";
import { connectLoaded } from "../../internal.ts";
import { runImport, TransferError } from "../transfer/mod.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";
import { loadConfigForCli } from "./config_file.ts";
import { CliError, reportError } from "./output.ts";

/** The prefix of pgimport's error line. */
const FAILED = "pgmonkey: pgimport failed: ";

/** Fails with pgmonkey (Python)'s text when `path` does not exist (or is not a file). */
export async function requireFile(path: string, what: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new CliError(`${what} not found: ${path}`);
  }
  if (!info.isFile()) throw new CliError(`${what} is not a regular file: ${path}`);
}

/**
 * The connection for an import/export: the config file's connection with
 * type `normal` (pools and async types are switched, as pgmonkey (Python)
 * does, saying so for the async ones), its secrets recorded for redaction.
 */
export function connector(
  path: string,
  args: ParsedArgs,
  ctx: CommandContext,
  manager: PGConnectionManager,
  operation: "import" | "export",
): () => Promise<PGConnection> {
  return async () => {
    const loaded = await loadConfigForCli(path, args, ctx);
    const type = (loaded.resolved as { connection_type?: unknown } | null)?.connection_type;
    if (type === "async" || type === "async_pool") {
      ctx.io.stdout(`Detected connection type: ${type}.\n`);
      ctx.io.stdout(
        `For ${operation} operations, switching to 'normal' connection for better performance.\n`,
      );
    }
    return await connectLoaded(manager, loaded, "normal");
  };
}

/** The line printed when pgimport is interrupted (exit status 130). */
export const INTERRUPTED = "pgmonkey: pgimport interrupted: nothing was imported " +
  "(the open transaction is rolled back)\n";

/**
 * The progress line on stderr (terminals only), remembering whether a line
 * is drawn and not yet ended, so an interruption can end it first.
 */
function progressOnStderr(ctx: CommandContext): { write(text: string): void; open: boolean } {
  const progress = {
    open: false,
    write(text: string) {
      ctx.io.stderr(text);
      progress.open = !text.endsWith("\x1b[2K"); // a bare clear ends the line (Progress.done)
    },
  };
  return progress;
}

/**
 * Until the returned function is called, SIGINT ends a drawn progress line,
 * prints {@link INTERRUPTED} and exits with status 130 (the server rolls
 * back the transaction of the closed connection).
 */
function exitOnInterrupt(ctx: CommandContext, progress: { open: boolean }): () => void {
  const handler = () => {
    if (progress.open) ctx.io.stderr("\n");
    ctx.io.stderr(INTERRUPTED);
    process.exit(130);
  };
  process.on("SIGINT", handler);
  return () => void process.off("SIGINT", handler);
}

/** Turns our transfer errors into the CLI's expected-error type. */
export function asCliError(e: unknown): unknown {
  return e instanceof TransferError ? new CliError(e.message, { cause: e }) : e;
}

/**
 * Runs pgimport. Exit status 0 when the settings file was created or the
 * data imported; 1 (one line on stderr, no stack trace) for every failure,
 * in which case nothing was imported; 130 when interrupted (SIGINT: the
 * progress line is ended and one line says nothing was imported). A
 * settings delimiter that looks wrong gets a warning on stderr.
 *
 * @example
 * ```ts ignore
 * // pgmonkey pgimport --import_file users.csv --table public.users --connconfig pg.yaml
 * ```
 */
export async function runPgimport(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const importFile = args.string("import_file")!;
  const connconfig = args.string("connconfig")!;
  const manager = new PGConnectionManager({ onWarning: ctx.onWarning });
  const progress = progressOnStderr(ctx);
  const stopWatching = exitOnInterrupt(ctx, progress);
  try {
    await requireFile(importFile, "Import file");
    await requireFile(connconfig, "Connection config file");
    const result = await runImport({
      importFile,
      table: args.string("table")!,
      connect: connector(connconfig, args, ctx, manager, "import"),
      print: (line) => ctx.io.stdout(`${line}\n`),
      warn: (line) => ctx.io.stderr(`pgmonkey: warning: ${line}\n`),
      progress: process.stderr.isTTY ? progress : undefined,
    });
    if (result.kind === "imported") ctx.io.stdout("Import complete.\n");
    return 0;
  } catch (e) {
    return reportError(ctx.io, FAILED, asCliError(e), ctx.secrets);
  } finally {
    stopWatching();
    await manager.clearCache();
  }
}
