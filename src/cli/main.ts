/**
 * Dispatch of the `pgmonkey` CLI: parses the command line, runs the command,
 * and turns every outcome into an exit status (0 success, 1 failure,
 * 2 usage error).
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * const status = await main(["pgconfig", "create", "--filepath", "pg.yaml"]);
 * ```
 *
 * @module
 */
import {
  type CommandSpec,
  formatHelp,
  parseCommandArgs,
  parseGroupArgs,
  UsageError,
  wantsHelp,
} from "./args.ts";
import {
  type CommandContext,
  type CommandHandler,
  PGCONFIG_CREATE,
  PGCONFIG_GENERATE_CODE,
  PGCONFIG_TEST,
  PGEXPORT,
  PGIMPORT,
  PGMONKEY,
  PGSERVERCONFIG,
} from "./commands.ts";
import { type Output, processOutput, reportError, Secrets } from "./output.ts";
import { VERSION } from "./version.ts";

/**
 * Every runnable command and where its handler is: the one place where a
 * command is wired up. Handlers are imported when their command runs, so a
 * command loads only the modules it uses (`--help` loads no driver, `pgconfig
 * test` no import/export code): most of a cold start is loading modules.
 */
const HANDLERS: ReadonlyMap<CommandSpec, () => Promise<CommandHandler>> = new Map([
  [PGCONFIG_CREATE, async () => (await import("./pgconfig_create.ts")).runPgconfigCreate],
  [PGCONFIG_TEST, async () => (await import("./pgconfig_test.ts")).runPgconfigTest],
  [
    PGCONFIG_GENERATE_CODE,
    async () => (await import("./pgconfig_generate.ts")).runPgconfigGenerate,
  ],
  [PGSERVERCONFIG, async () => (await import("./pgserverconfig.ts")).runPgserverconfig],
  [PGIMPORT, async () => (await import("./pgimport.ts")).runPgimport],
  [PGEXPORT, async () => (await import("./pgexport.ts")).runPgexport],
]);

/**
 * Walks the command tree: group flags (`--help`, `--version`), subcommand
 * names, then the leaf command's flags. Returns the exit status when the
 * command line was fully handled here (help, version, missing command).
 */
async function dispatch(
  spec: CommandSpec,
  args: readonly string[],
  ctx: CommandContext,
): Promise<number> {
  if (!spec.commands) {
    if (wantsHelp(spec, args)) {
      ctx.io.stdout(formatHelp(spec));
      return 0;
    }
    const parsed = parseCommandArgs(spec, args);
    const load = HANDLERS.get(spec);
    if (!load) throw new Error(`no handler for ${spec.prog}`);
    return await (await load())(parsed, ctx);
  }
  const at = args.findIndex((a) => !a.startsWith("-") || a === "-");
  if (wantsHelp(spec, at < 0 ? args : args.slice(0, at))) {
    ctx.io.stdout(formatHelp(spec));
    return 0;
  }
  const { values, command, rest } = parseGroupArgs(spec, args);
  if (values.flag("version")) {
    ctx.io.stdout(`pgmonkey ${VERSION}\n`);
    return 0;
  }
  if (!command) {
    // No command: show what there is, as a usage error.
    ctx.io.stderr(formatHelp(spec));
    ctx.io.stderr(`${spec.prog}: error: a command is required\n`);
    return 2;
  }
  return await dispatch(command, rest, ctx);
}

/**
 * Runs the `pgmonkey` CLI with `args` (without the program name) and
 * resolves to the exit status: 0 success, 1 runtime failure (connection,
 * file, validation), 2 usage error. Never throws and never exits the
 * process; output goes to `io` (default: the process's stdout and stderr).
 * Config warnings go to stderr. No error text shows a secret from the
 * config; `PGMONKEY_DEBUG=1` adds stack traces (also redacted).
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * const status = await main(["pgconfig", "test", "--connconfig", "pg.yaml"]);
 * ```
 */
export async function main(args: readonly string[], io: Output = processOutput): Promise<number> {
  const secrets = new Secrets();
  const ctx: CommandContext = {
    io,
    secrets,
    onWarning: (message) => io.stderr(`pgmonkey: warning: ${secrets.redact(message)}\n`),
  };
  try {
    return await dispatch(PGMONKEY, args, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(e.render());
      return 2;
    }
    return reportError(io, "pgmonkey: error: ", e, secrets);
  }
}
