/**
 * `pgmonkey pgconfig generate-code`: prints a runnable program for a config file.
 *
 * @module
 */
import { resolveConnectionType } from "../../internal.ts";
import {
  type CodegenLibrary,
  type CodegenRuntime,
  CONFIG_DETECTED_LINE,
  generateCode,
  generatedCodeHeader,
} from "../codegen/generate.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";
import { loadConfigForCli } from "./config_file.ts";
import { CliError } from "./output.ts";

/**
 * Reads the config (to check it exists and to find its `connection_type`,
 * interpolated with `--resolve-env`), then prints the "config file has been
 * detected" line and the header on stderr and the program on stdout, so
 * `… > app.ts` saves a program that runs as it is. The program is for
 * `--connection-type` (else the file's type, else `normal`), `--library`
 * (`pgmonkey` or `postgres`) and `--runtime` (`deno` or `node`; default:
 * the runtime the CLI runs on); with `--resolve-env` it resolves `${VAR}`,
 * `from_env` and `from_file` at run time (`--allow-sensitive-defaults`
 * allows defaults on sensitive keys there too). The config path is written
 * into the program as given.
 *
 * @example
 * ```ts ignore
 * // pgmonkey pgconfig generate-code --filepath pg.yaml --library postgres --runtime node > app.ts
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
  const program = generateCode({
    configPath: path,
    connectionType,
    library,
    runtime: args.string("runtime") as CodegenRuntime,
    resolveEnv: args.flag("resolve-env"),
    allowSensitiveDefaults: args.flag("allow-sensitive-defaults"),
  });
  ctx.io.stderr(`${CONFIG_DETECTED_LINE}\n${generatedCodeHeader(connectionType, library)}\n\n`);
  ctx.io.stdout(program);
  return 0;
}
