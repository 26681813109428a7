/**
 * `pgmonkey pgexport`: exports a table to a CSV file (see
 * `src/transfer/exporter.ts`). The first run writes the settings file and
 * stops.
 *
 * @module
 */
import process from "node:process";
import { PGConnectionManager } from "../../mod.ts";
import { runExport } from "../transfer/exporter.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";
import { reportError } from "./output.ts";
import { asCliError, connector, requireFile } from "./transfer_common.ts";

/**
 * Runs pgexport. Exit status 0 when the settings file was created or the
 * table exported; 1 (one line on stderr, no stack trace) for every failure,
 * in which case the CSV file was neither created nor changed.
 *
 * @example
 * ```ts ignore
 * // pgmonkey pgexport --table public.users --connconfig pg.yaml   (writes users.csv)
 * ```
 */
export async function runPgexport(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const connconfig = args.string("connconfig")!;
  const manager = new PGConnectionManager({ onWarning: ctx.onWarning });
  try {
    await requireFile(connconfig, "Connection config file");
    const result = await runExport({
      table: args.string("table")!,
      exportFile: args.string("export_file"),
      connect: connector(connconfig, args, ctx, manager, "export"),
      print: (line) => ctx.io.stdout(`${line}\n`),
      progress: process.stderr.isTTY ? { write: (text) => ctx.io.stderr(text) } : undefined,
    });
    if (result.kind === "exported") ctx.io.stdout("Export complete.\n");
    return 0;
  } catch (e) {
    return reportError(ctx.io, "pgmonkey: pgexport failed: ", asCliError(e), ctx.secrets);
  } finally {
    await manager.clearCache();
  }
}
