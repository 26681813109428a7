// Fault suite: a random backend of the pool is killed (pg_terminate_backend) every 200 ms for
// 4 s under a write load, on pool and async_pool (see scenarios/terminate.ts).
import { assertFaultReport, runScenario } from "./_support/spawn.ts";
import { scenarioDatabase } from "./_support/target.ts";

const { db, env } = await scenarioDatabase("fault terminate");

for (const type of ["pool", "async_pool"]) {
  Deno.test(`fault: pg_terminate_backend every 200 ms under load on ${type}`, async () => {
    assertFaultReport(await runScenario("terminate.ts", [type], env));
  });
}

Deno.test("teardown: close the admin connection", () => db.close());
