// Fault suite: more callers than max_size with a 1 s timeout, on pool and async_pool (see
// scenarios/exhaustion.ts).
import { assertFaultReport, runScenario } from "./_support/spawn.ts";
import { scenarioDatabase } from "./_support/target.ts";

const { db, env } = await scenarioDatabase("fault exhaustion");

for (const type of ["pool", "async_pool"]) {
  Deno.test(`fault: pool exhaustion on ${type} gives PoolTimeoutError in time`, async () => {
    assertFaultReport(await runScenario("exhaustion.ts", [type], env));
  });
}

Deno.test("teardown: close the admin connection", () => db.close());
