/**
 * `pgmonkey pgimport`: imports a CSV/text file into a table (see
 * `src/transfer/importer.ts`). The first run writes the settings file and
 * stops. `--jobs N` fills a new table with N parallel COPY streams.
 *
 * @module
 */
import process from "node:process";
import { PGConnectionManager } from "../../mod.ts";
import { runImport } from "../transfer/importer.ts";
import { jobsProblem } from "../transfer/settings.ts";
import { type ParsedArgs, usageError } from "./args.ts";
import { type CommandContext, PGIMPORT } from "./commands.ts";
import { reportError } from "./output.ts";
import { asCliError, connector, requireFile } from "./transfer_common.ts";

/** The prefix of pgimport's error line. */
const FAILED = "pgmonkey: pgimport failed: ";

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

/** `--jobs N` as a number (`undefined` when not given); a usage error when invalid. */
function jobsFlag(args: ParsedArgs): number | undefined {
  const text = args.string("jobs");
  if (text === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  const problem = jobsProblem(Number.isNaN(n) ? text : n);
  if (problem) usageError(PGIMPORT, `argument --jobs: ${problem}`);
  return n;
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
  const jobs = jobsFlag(args);
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
      jobs,
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
