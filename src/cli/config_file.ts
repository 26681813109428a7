/**
 * Reading a config file for a CLI command: once, through the library's
 * pipeline, collecting its secrets on the way so that no error message can
 * show them.
 *
 * @example
 * ```ts ignore
 * import { loadConfigForCli } from "./config_file.ts";
 * const loaded = await loadConfigForCli("config.yaml", args, ctx);
 * console.log(loaded.resolved);
 * ```
 *
 * @module
 */
import {
  findEnvReference,
  loadConfigFile,
  type LoadedConfig,
  readConfigText,
} from "../../internal.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";

/**
 * The one-line hint printed when a config holds a reference but
 * `--resolve-env` was not given (the reference is then used as written).
 *
 * @example
 * ```ts
 * import { resolveEnvHint } from "./config_file.ts";
 * resolveEnvHint("pg.yaml", "connection_settings.password");
 * ```
 */
export function resolveEnvHint(path: string, key: string): string {
  return `pgmonkey: hint: ${path}: ${key} holds a \${VAR}, from_env or from_file reference, ` +
    "used as written; pass --resolve-env to resolve it\n";
}

/**
 * Loads `path` once (PyYAML semantics; interpolated with `--resolve-env`,
 * defaults on sensitive keys with `--allow-sensitive-defaults`). The
 * secrets of the file as written are recorded first, then those of the
 * interpolated config, so an interpolation or connection error can be
 * redacted; if the file does not parse, the values of its sensitive-looking
 * lines are recorded instead. Without `--resolve-env`, a config that holds
 * a reference gets {@link resolveEnvHint} on stderr. Warnings go to the
 * command's `onWarning`.
 *
 * @example
 * ```ts ignore
 * import { loadConfigForCli } from "./config_file.ts";
 * const loaded = await loadConfigForCli("config.yaml", args, ctx);
 * const db = await connectLoaded(manager, loaded, "normal");
 * ```
 */
export async function loadConfigForCli(
  path: string,
  args: ParsedArgs,
  ctx: CommandContext,
): Promise<LoadedConfig> {
  const resolveEnv = args.flag("resolve-env");
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfigFile(path, {
      resolveEnv,
      allowSensitiveDefaults: args.flag("allow-sensitive-defaults"),
      onWarning: ctx.onWarning,
    });
  } catch (e) {
    try {
      ctx.secrets.addFromText(await readConfigText(path));
    } catch {
      // unreadable: nothing to learn from it
    }
    throw e;
  }
  ctx.secrets.addConfig(loaded.raw);
  if (!resolveEnv) {
    const key = findEnvReference(loaded.raw);
    if (key !== undefined) ctx.io.stderr(resolveEnvHint(path, key));
    return loaded;
  }
  ctx.secrets.addConfig(loaded.resolved);
  return loaded;
}
