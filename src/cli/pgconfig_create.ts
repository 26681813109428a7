/**
 * `pgmonkey pgconfig create`: writes the commented config template.
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CONFIG_TEMPLATE } from "../../mod.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";
import { CliError } from "./output.ts";

function osReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a parent of the path is a file, not a folder";
    case "EISDIR":
      return "it is a folder";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on device";
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Writes `CONFIG_TEMPLATE` to `--filepath`, creating parent folders, and
 * prints `New configuration template created: <path>`. Refuses to overwrite
 * an existing file (or anything else at that path): throws `CliError`
 * (exit status 1). `--resolve-env` is accepted and has no effect.
 *
 * @example
 * ```ts ignore
 * // pgmonkey pgconfig create --filepath config/pg.yaml
 * ```
 */
export async function runPgconfigCreate(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const path = args.string("filepath")!;
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (e) {
    // mkdir -p over an existing file: EEXIST (Deno) or ENOTDIR (Node)
    const reason = (e as { code?: string }).code === "EEXIST"
      ? "a parent of the path is a file, not a folder"
      : osReason(e);
    throw new CliError(`cannot create the folder for ${path}: ${reason}`, { cause: e });
  }
  try {
    // "wx": fail if anything exists at path, atomically (no check-then-write race).
    // Owner-only: the template holds a (placeholder) password.
    await writeFile(path, CONFIG_TEMPLATE, { flag: "wx", mode: 0o600 });
  } catch (e) {
    if ((e as { code?: string }).code === "EEXIST") {
      throw new CliError(
        `Configuration file already exists: ${path} (edit this file to update settings)`,
        { cause: e },
      );
    }
    throw new CliError(`cannot create ${path}: ${osReason(e)}`, { cause: e });
  }
  ctx.io.stdout(`New configuration template created: ${path}\n`);
  return 0;
}
