/**
 * `pgmonkey pgconfig generate-code`: prints a runnable program for a config file.
 *
 * @module
 */
import { resolveConnectionType } from "../../internal.ts";
import {
  type CodegenLibrary,
  CONFIG_DETECTED_LINE,
  formatGeneratedCode,
} from "../codegen/generate.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";
import { loadConfigForCli } from "./config_file.ts";
import { CliError } from "./output.ts";

/**
 * Reads the config (to check it exists and to find its `connection_type`,
 * interpolated with `--resolve-env`), then prints the "config file has been
 * detected" line, the header and the program for `--connection-type` (else
 * the file's type, else `normal`) and `--library` (`pgmonkey` or
 * `postgres`). The config path is written into the program as given.
 *
 * @example
 * ```ts ignore
 * // pgmonkey pgconfig generate-code --filepath pg.yaml --connection-type pool --library postgres
 * ```
 */
export async function runPgconfigGenerate(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const path = args.string("filepath")!;
  const config = (await loadConfigForCli(path, args, ctx)).resolved;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new CliError(
      `${path}: expected a mapping of config sections (the file is empty or not a mapping)`,
    );
  }
  const connectionType = resolveConnectionType(args.string("connection-type"), config, path);
  const library = args.string("library") as CodegenLibrary;
  ctx.io.stdout(
    `${CONFIG_DETECTED_LINE}\n${
      formatGeneratedCode({ configPath: path, connectionType, library })
    }`,
  );
  return 0;
}
