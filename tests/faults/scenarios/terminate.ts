// pg_terminate_backend of a random backend of the pool every 200 ms for a while, under a
// write load (16 workers in transactions on a pool of 8). Arg: <pool|async_pool>.
// Env: PGM_FAULT_TARGET.
import { PGConnectionManager } from "../../../mod.ts";
import { longestGap, startLoad } from "../_support/load.ts";
import { eventually, Scenario, sleep } from "../_support/scenario.ts";
import {
  adminSql,
  backendsOf,
  connectionSettings,
  faultTarget,
  idsIn,
} from "../_support/servers.ts";

const [type] = Deno.args as ["pool" | "async_pool"];
const KILL_FOR_MS = 4000;
const KILL_EVERY_MS = 200;
const TIMEOUT = 3;
const MIN_SIZE = 4;
const BOUND_MS = TIMEOUT * 1000 + 2000;

await new Scenario(`pg_terminate_backend every ${KILL_EVERY_MS} ms under load (${type})`).run(
  async (s) => {
    const target = faultTarget();
    const app = `pgm-fault-kill-${type}`;
    const table = `acks_kill_${type}`;
    const admin = adminSql(target);
    await admin.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    const pool = { min_size: MIN_SIZE, max_size: 8, timeout: TIMEOUT };
    const m = new PGConnectionManager();
    const db = await m.getDatabaseConnectionFromConfig({
      connection_settings: connectionSettings(target, { application_name: app }),
      pool_settings: pool,
      async_pool_settings: pool,
    }, type);
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
    const settled = await eventually(async () => {
      const st = db.stats();
      return st.size >= MIN_SIZE && st.inUse === 0 && st.waiting === 0 &&
        await backendsOf(admin, app) >= MIN_SIZE;
    }, 5000);
    const st = db.stats();
    s.check(
      "the pool ends at min_size or more, nothing left in use or waiting",
      settled,
      `size ${st.size}, in use ${st.inUse}, waiting ${st.waiting}`,
    );
    s.figure("connections replaced", st.closed);
    s.verifyAcked(await idsIn(admin, table));
    await m.clearCache();
    await admin.end({ timeout: 1 });
  },
);
