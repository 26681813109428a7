// pg_terminate_backend of a random backend of the pool every 200 ms for a while, under a
// write load (16 workers in transactions on a pool of 8). Arg: <pool|async_pool>.
// Env: PGM_FAULT_TARGET.
import { longestGap, startLoad } from "../_support/load.ts";
import { Scenario, sleep } from "../_support/scenario.ts";
import { expectBackAtMinSize, setUpPool, tearDown } from "../_support/setup.ts";

const [type] = Deno.args as ["pool" | "async_pool"];
const KILL_FOR_MS = 4000;
const KILL_EVERY_MS = 200;
const TIMEOUT = 3;
const MIN_SIZE = 4;
const BOUND_MS = TIMEOUT * 1000 + 2000;

await new Scenario(`pg_terminate_backend every ${KILL_EVERY_MS} ms under load (${type})`).run(
  async (s) => {
    const app = `pgm-fault-kill-${type}`;
    const pool = { min_size: MIN_SIZE, max_size: 8, timeout: TIMEOUT };
    const p = await setUpPool(type, `acks_kill_${type}`, pool, { application_name: app });
    const { db, admin, table } = p;
    const load = startLoad(s, db, { workers: 16, table, boundMs: BOUND_MS });
    await sleep(500);
    const t0 = performance.now();
    let kills = 0;
    while (performance.now() - t0 < KILL_FOR_MS) {
      const [{ n }] = await admin`
        SELECT count(pg_terminate_backend(pid))::int AS n FROM (
          SELECT pid FROM pg_stat_activity
          WHERE application_name = ${app} AND pid <> pg_backend_pid()
          ORDER BY random() LIMIT 1) AS victim`;
      kills += n as number;
      await sleep(KILL_EVERY_MS);
    }
    const t1 = performance.now();
    await sleep(500);
    await load.stop();

    s.figure("backends terminated", kills);
    s.figure("commits", load.commitTimes.length);
    const gap = longestGap(load.commitTimes, t0, t1);
    s.figure("longest stretch without a commit while killing, ms", gap);
    s.check("backends were terminated", kills >= KILL_FOR_MS / KILL_EVERY_MS / 2, `${kills}`);
    s.check(
      "commits continue while the server is up (no stretch of 2 s without one)",
      gap < 2000,
      `${gap} ms`,
    );
    await expectBackAtMinSize(
      s,
      p,
      MIN_SIZE,
      app,
      "the pool ends at min_size or more, nothing left in use or waiting",
    );
    s.figure("connections replaced", db.stats().closed);
    await tearDown(s, p);
  },
);
