/**
 * The `pgbench` anchor: its built-in select-only script (`-S`, a random
 * `aid` of `pgbench_accounts` per transaction) with 8 clients on 2 threads,
 * its throughput, and with `-P 1` its per-second progress.
 *
 * @module
 */
import { runOk } from "./lib.ts";

/** What a pgbench run measured. */
export interface PgbenchResult {
  /** pgbench's tps "without initial connection time". */
  tps: number;
  /** Transactions per second, one value per second (`-P 1`; empty without `progress`). */
  perSecond: number[];
}

/** Reads pgbench's final tps from its report. */
export function parsePgbenchTps(stdout: string): number {
  const m = stdout.match(/tps = ([\d.]+) \(without initial connection time\)/);
  if (!m) throw new Error(`cannot read pgbench's tps:\n${stdout}`);
  return Number(m[1]);
}

/**
 * Reads pgbench's `-P 1` progress lines (`progress: 3.0 s, 41234.5 tps, lat …`)
 * into one value per second.
 */
export function parsePgbenchProgress(stderr: string): number[] {
  return [...stderr.matchAll(/^progress: [\d.]+ s, ([\d.]+) tps/gm)].map((m) => Number(m[1]));
}

/**
 * `pgbench -S -c 8 -j 2 -T seconds` against the server `env` names
 * (`PGHOST`, `PGPORT`, …).
 */
export async function pgbenchSelect(
  env: Record<string, string>,
  seconds: number,
  options: { progress?: boolean } = {},
): Promise<PgbenchResult> {
  const args = ["-S", "-c", "8", "-j", "2", "-T", String(seconds)];
  if (options.progress) args.push("-P", "1");
  const out = await runOk("pgbench", args, { env });
  return {
    tps: parsePgbenchTps(out.stdout),
    perSecond: options.progress ? parsePgbenchProgress(out.stderr) : [],
  };
}
