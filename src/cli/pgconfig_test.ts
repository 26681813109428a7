/**
 * `pgmonkey pgconfig test`: really connects with a config file and reports
 * what it found.
 *
 * @module
 */
import {
  type BorrowedConnection,
  type ConnectionType,
  type PGConnection,
  PGConnectionManager,
} from "../../mod.ts";
import { connectLoaded } from "../../internal.ts";
import { CONFIG_DETECTED_LINE } from "../codegen/generate.ts";
import type { ParsedArgs } from "./args.ts";
import type { CommandContext } from "./commands.ts";
import { loadConfigForCli } from "./config_file.ts";
import { reportError } from "./output.ts";

/** What a successful probe found. */
export interface ProbeResult {
  /** `server_version`, e.g. `18.1`. */
  readonly serverVersion: string;
  /** Whether the connection uses TLS (`undefined` when unknown). */
  readonly tls?: boolean;
  /** TLS protocol version, e.g. `TLSv1.3`, when known. */
  readonly tlsVersion?: string;
  /** Pools: how many connections were held at once. */
  readonly held?: number;
  /** Pools: configured minimum and maximum. */
  readonly minSize?: number;
  /** Pools: configured maximum. */
  readonly maxSize?: number;
}

function isPool(type: ConnectionType): boolean {
  return type === "pool" || type === "async_pool";
}

/**
 * Runs the connection test on an open handle: `SELECT 1`, the server
 * version, TLS status from `pg_stat_ssl` (falling back to the handle's
 * stats), and for pools borrows `min(max_size, min_size + 1)` connections at
 * once with `acquire()` and runs `SELECT 1` on each.
 *
 * @example
 * ```ts ignore
 * const result = await probe(db);
 * console.log(result.serverVersion, result.tls);
 * ```
 */
export async function probe(db: PGConnection): Promise<ProbeResult> {
  const [one] = await db.sql<{ one: number }[]>`SELECT 1 AS one`;
  if (Number(one?.one) !== 1) throw new Error(`SELECT 1 returned ${JSON.stringify(one)}`);
  const [info] = await db.sql<{ server_version: string }[]>`
    SELECT current_setting('server_version') AS server_version`;
  let tls = db.stats().tls;
  let tlsVersion: string | undefined;
  try {
    const [row] = await db.sql<{ ssl: boolean; version: string | null }[]>`
      SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
    if (row) {
      tls = row.ssl;
      tlsVersion = row.version ?? undefined;
    }
  } catch {
    // pg_stat_ssl not readable: keep what the transport knows
  }
  const result = { serverVersion: info.server_version, tls, tlsVersion };
  if (!isPool(db.connectionType)) return result;

  const { minSize, maxSize } = db.stats();
  const wanted = Math.max(1, Math.min(maxSize, minSize + 1));
  const borrowed = await Promise.allSettled(Array.from({ length: wanted }, () => db.acquire()));
  const held = borrowed.filter((b) => b.status === "fulfilled").map((b) =>
    (b as PromiseFulfilledResult<BorrowedConnection>).value
  );
  try {
    const failed = borrowed.find((b) => b.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    await Promise.all(held.map((c) => c.sql`SELECT 1`));
  } finally {
    for (const c of held) c.release();
  }
  return { ...result, held: held.length, minSize, maxSize };
}

/** The report lines printed after a successful probe (before the success line). */
export function formatProbe(type: ConnectionType, result: ProbeResult, millis: number): string {
  const tls = result.tls === undefined
    ? "unknown"
    : result.tls
    ? `yes${result.tlsVersion ? ` (${result.tlsVersion})` : ""}`
    : "no";
  const lines = [
    `Connection type: ${type}`,
    `Server version: PostgreSQL ${result.serverVersion}`,
    `TLS in use: ${tls}`,
  ];
  if (result.held !== undefined) {
    lines.push(
      `Connections held at once: ${result.held} ` +
        `(min_size ${result.minSize}, max_size ${result.maxSize})`,
    );
  }
  lines.push(`Time taken: ${Math.round(millis)} ms`);
  return lines.map((l) => `${l}\n`).join("");
}

/**
 * Connects with `--connection-type` (else the file's `connection_type`,
 * interpolated with `--resolve-env`, else `normal`), probes the connection
 * (see {@link probe}) and prints the report and
 * `Sync|Async connection test completed successfully.` Any failure prints
 * `pgmonkey: connection test failed: <reason>` (redacted) on stderr and
 * returns 1. Every connection is closed before returning.
 *
 * @example
 * ```ts ignore
 * // pgmonkey pgconfig test --connconfig pg.yaml --connection-type async_pool --resolve-env
 * ```
 */
export async function runPgconfigTest(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const path = args.string("filepath")!;
  const manager = new PGConnectionManager({ onWarning: ctx.onWarning });
  try {
    const loaded = await loadConfigForCli(path, args, ctx);
    ctx.io.stdout(`${CONFIG_DETECTED_LINE}\n`);
    const started = performance.now();
    const db = await connectLoaded(manager, loaded, args.string("connection-type"));
    const type = db.connectionType;
    const result = await probe(db);
    const millis = performance.now() - started;
    ctx.io.stdout(formatProbe(type, result, millis));
    const kind = type === "async" || type === "async_pool" ? "Async" : "Sync";
    ctx.io.stdout(`${kind} connection test completed successfully.\n`);
    return 0;
  } catch (e) {
    return reportError(ctx.io, "pgmonkey: connection test failed: ", e, ctx.secrets);
  } finally {
    await manager.clearCache();
  }
}
