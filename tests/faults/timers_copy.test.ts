// Fault suite: transactions idle past max_idle / max_lifetime, and COPY in both directions
// abandoned on borrowed connections, on pool and async_pool (see scenarios/idle_timers.ts and
// scenarios/copy_abandon.ts).
import { assertFaultReport, runScenario } from "./_support/spawn.ts";
import { scenarioDatabase } from "./_support/target.ts";

const { db, env } = await scenarioDatabase("fault timers copy");

for (const type of ["pool", "async_pool"]) {
  Deno.test(`fault: transactions idle past max_idle and max_lifetime commit on ${type}`, async () => {
    assertFaultReport(await runScenario("idle_timers.ts", [type], env));
  });
  Deno.test(`fault: COPY abandoned on borrowed connections of ${type}`, async () => {
    assertFaultReport(await runScenario("copy_abandon.ts", [type], env));
  });
}

Deno.test("teardown: close the admin connection", () => db.close());
