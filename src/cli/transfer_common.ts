/**
 * What `pgimport` and `pgexport` share: the input checks with pgmonkey
 * (Python)'s texts, the connection they open (type `normal`, or a pool of
 * N connections for a parallel import), and the mapping of transfer errors
 * to the CLI's expected-error type.
 *
 * @example
 * ```ts ignore
 * const connect = connector("pg.yaml", args, ctx, manager, "import");
 * const db = await connect({ connections: 4 }); // a pool lending 4 at once
 * ```
 *
 * @module
 */
import { stat } from "node:fs/promises";
import type { PGConnection, PGConnectionManager, RawConfig } from "../../mod.ts";
import { connectLoaded } from "../../internal.ts";
import { TransferError } from "../transfer/errors.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";
import { loadConfigForCli } from "./config_file.ts";
import { CliError } from "./output.ts";

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
 * Asked for several connections (a parallel import), it opens a `pool` of
 * exactly that many from the same file (same `sync_settings`).
 */
export function connector(
  path: string,
  args: ParsedArgs,
  ctx: CommandContext,
  manager: PGConnectionManager,
  operation: "import" | "export",
): (request?: { connections: number }) => Promise<PGConnection> {
  return async (request) => {
    const loaded = await loadConfigForCli(path, args, ctx);
    const resolved = loaded.resolved;
    const type = (resolved as { connection_type?: unknown } | null)?.connection_type;
    if (type === "async" || type === "async_pool") {
      ctx.io.stdout(`Detected connection type: ${type}.\n`);
      ctx.io.stdout(
        `For ${operation} operations, switching to 'normal' connection for better performance.\n`,
      );
    }
    const n = request?.connections ?? 1;
    if (n <= 1 || resolved === null || typeof resolved !== "object" || Array.isArray(resolved)) {
      return await connectLoaded(manager, loaded, "normal");
    }
    // Already interpolated: the pool is opened from the resolved config as it is.
    const file = resolved as Record<string, unknown>;
    const poolSettings = file.pool_settings;
    const pooled: RawConfig = {
      ...file,
      connection_type: "pool",
      pool_settings: {
        ...(poolSettings && typeof poolSettings === "object" ? poolSettings : {}),
        min_size: n,
        max_size: n,
      },
    } as RawConfig;
    return await manager.getDatabaseConnectionFromConfig(pooled, "pool", {
      onWarning: ctx.onWarning,
    });
  };
}

/** Turns our transfer errors into the CLI's expected-error type. */
export function asCliError(e: unknown): unknown {
  return e instanceof TransferError ? new CliError(e.message, { cause: e }) : e;
}
