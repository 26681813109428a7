// Server restart (`pg_ctl restart -m fast`) or crash-like stop (`pg_ctl stop -m immediate`,
// down for a while, start) under a write load: 16 workers in transactions on a pool of 8.
// Args: <pool|async_pool> <fast|immediate>. Env: PGM_FAULT_TARGET (the Debian server),
// PGM_FAULT_NODE (its data directory etc., for pg_ctl).
import { type ClusterNode, debianServerControl } from "../../support/debian_postgres.ts";
import { firstCommitAfter, longestGap, startLoad } from "../_support/load.ts";
import { Scenario, since, sleep } from "../_support/scenario.ts";
import { expectBackAtMinSize, setUpPool, tearDown } from "../_support/setup.ts";

const [type, mode] = Deno.args as ["pool" | "async_pool", "fast" | "immediate"];
const DOWN_MS = 3000;
const TIMEOUT = 2;
const MIN_SIZE = 4;
const BOUND_MS = TIMEOUT * 1000 + 2000;
const what = mode === "fast" ? "restart -m fast" : `stop -m immediate, ${DOWN_MS / 1000} s down`;

await new Scenario(`${what} under load (${type})`).run(async (s) => {
  const ctl = debianServerControl(JSON.parse(Deno.env.get("PGM_FAULT_NODE")!) as ClusterNode);
  const app = `pgm-fault-${type}-${mode}`;
  const table = `acks_${type}_${mode}`;
  const pool = { min_size: MIN_SIZE, max_size: 8, timeout: TIMEOUT };
  const p = await setUpPool(type, table, pool, { application_name: app });
  const db = p.db;
  const load = startLoad(s, db, { workers: 16, table, boundMs: BOUND_MS });
  await sleep(1000);

  const tFault = performance.now();
  if (mode === "fast") {
    await ctl.restart("fast");
  } else {
    await ctl.halt("immediate");
    await sleep(DOWN_MS);
    await ctl.resume();
  }
  const tBack = performance.now(); // pg_ctl -w returned: the server accepts connections
  s.figure("server unavailable ms", since(tFault));
  const probe = await s.call(
    "a new caller once the server is back",
    BOUND_MS,
    () => db.transaction((tx) => tx`SELECT 1`),
  );
  s.figure("new caller served after ms", Math.round(probe.ms));
  s.check(
    "a new caller is served soon after the server is back (< 3 s)",
    probe.ok && probe.ms < 3000,
    probe.ok ? `${Math.round(probe.ms)} ms` : String(probe.error),
  );
  await sleep(2000);
  const tEnd = performance.now();
  await load.stop();

  const recovery = firstCommitAfter(load.commitTimes, tBack);
  s.figure("first load commit after the server is back, ms", recovery ?? "none");
  s.check("the load commits again after the server is back", recovery !== undefined);
  s.figure("longest stretch without a commit, ms", longestGap(load.commitTimes, tFault, tEnd));
  s.figure("commits", load.commitTimes.length);
  await expectBackAtMinSize(
    s,
    p,
    MIN_SIZE,
    app,
    "the pool is back at min_size by itself, nothing left in use or waiting",
  );
  await tearDown(s, p);
});
