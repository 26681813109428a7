/**
 * Reading a config file for a CLI command, collecting its secrets on the way
 * so that no error message can show them.
 *
 * @example
 * ```ts ignore
 * import { loadConfigForCli } from "./config_file.ts";
 * import { Secrets } from "./output.ts";
 * const { config } = await loadConfigForCli("config.yaml", { resolveEnv: true }, new Secrets());
 * ```
 *
 * @module
 */
import { loadConfig, type LoadOptions, readConfigText } from "../config/mod.ts";
import type { Secrets } from "./output.ts";

/** What {@link loadConfigForCli} returns. */
export interface CliConfig {
  /** The config as written (legacy wrapper unwrapped, no interpolation). */
  readonly raw: unknown;
  /** The config the command works with: interpolated when `resolveEnv` is set, else `raw`. */
  readonly config: unknown;
}

/**
 * Loads `path` with our loader (PyYAML semantics). The secrets of the file as
 * written are recorded first, then (with `resolveEnv`) those of the
 * interpolated config, so an interpolation or connection error can be
 * redacted. If the file does not parse, the values of its sensitive-looking
 * lines are recorded instead.
 *
 * @example
 * ```ts ignore
 * import { loadConfigForCli } from "./config_file.ts";
 * import { Secrets } from "./output.ts";
 * const secrets = new Secrets();
 * const { raw, config } = await loadConfigForCli("config.yaml", {}, secrets);
 * ```
 */
export async function loadConfigForCli(
  path: string,
  options: LoadOptions,
  secrets: Secrets,
): Promise<CliConfig> {
  let raw: unknown;
  try {
    raw = await loadConfig(path);
  } catch (e) {
    try {
      secrets.addFromText(await readConfigText(path));
    } catch {
      // unreadable: nothing to learn from it
    }
    throw e;
  }
  secrets.addConfig(raw);
  if (!options.resolveEnv) return { raw, config: raw };
  const config = await loadConfig(path, {
    resolveEnv: true,
    allowSensitiveDefaults: options.allowSensitiveDefaults,
  });
  secrets.addConfig(config);
  return { raw, config };
}
