/**
 * What every case of the query-path benchmark gets from `bench/run.ts`: the
 * server, the shared manager, the report to add rows to, and the run's
 * settings.
 *
 * @module
 */
import type postgres from "postgres";
import type { PGConnectionManager } from "../mod.ts";
import type { BenchTarget } from "./cases.ts";
import type { CpuMonitor } from "./machine.ts";
import type { Report } from "./report.ts";

/** See the module documentation. */
export interface BenchContext {
  target: BenchTarget;
  /** `PGHOST`, `PGPORT`, … for pgbench and psql. */
  pgEnv: Record<string, string>;
  /** Whether pgbench and psql are available. */
  tools: boolean;
  /** Rounds per paired case. */
  rounds: number;
  /** Seconds of each round of the 32-client case. */
  seconds: number;
  /** Seconds of the sustained run. */
  sustainedSeconds: number;
  /** The manager shared by the cases (cleared at the end). */
  manager: PGConnectionManager;
  /** Adds a manager to clear at the end. */
  own(manager: PGConnectionManager): PGConnectionManager;
  /** Adds a raw postgres.js instance to end at the end. */
  ownSql(sql: postgres.Sql): postgres.Sql;
  report: Report;
  monitor: CpuMonitor;
  log(line: string): void;
  /** Whether a full run writes docs (the SVG chart goes with the table). */
  write: boolean;
}
