/**
 * A write load for fault scenarios: workers that each run transactions
 * inserting one unique id, back to back, until stopped. Every call is timed
 * against its bound and every id whose `transaction()` resolved is recorded
 * as acknowledged (see `scenario.ts`).
 *
 * @module
 */
import type { PGConnection } from "../../../mod.ts";
import { type Scenario, sleep } from "./scenario.ts";

/** A running load. */
export interface Load {
  /** `performance.now()` of each acknowledged commit, in order. */
  readonly commitTimes: number[];
  /** Stops starting new transactions and waits for the workers (their calls are bounded). */
  stop(): Promise<void>;
}

/** Options of {@link startLoad}. */
export interface LoadOptions {
  /** Concurrent workers. */
  workers: number;
  /** Table with an `id int PRIMARY KEY` column. */
  table: string;
  /** Milliseconds one `transaction()` may take. */
  boundMs: number;
  /** Ids start above this (several loads can share a table). */
  firstId?: number;
}

/** Starts `workers` writers on `db`. */
export function startLoad(s: Scenario, db: PGConnection, o: LoadOptions): Load {
  let nextId = o.firstId ?? 0;
  let running = true;
  const commitTimes: number[] = [];
  const worker = async () => {
    while (running) {
      const id = ++nextId;
      const r = await s.call(
        "transaction under load",
        o.boundMs,
        () =>
          db.transaction(async (tx) => {
            await tx`INSERT INTO ${tx(o.table)} (id) VALUES (${id})`;
            await tx`SELECT pg_sleep(0.002)`;
          }),
      );
      if (r.ok) {
        s.ack(id);
        commitTimes.push(performance.now());
      } else {
        await sleep(10); // a real client would back off a little too
      }
    }
  };
  const workers = Array.from({ length: o.workers }, worker);
  return {
    commitTimes,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** The longest stretch without a commit between `from` and `to` (ms). */
export function longestGap(times: readonly number[], from: number, to: number): number {
  let last = from;
  let gap = 0;
  for (const t of times) {
    if (t < from) continue;
    if (t > to) break;
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.round(Math.max(gap, to - last));
}

/** The first commit at or after `t`, in ms after `t` (`undefined`: none). */
export function firstCommitAfter(times: readonly number[], t: number): number | undefined {
  const hit = times.find((x) => x >= t);
  return hit === undefined ? undefined : Math.round(hit - t);
}
