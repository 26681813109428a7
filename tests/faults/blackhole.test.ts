// Fault suite: a TCP proxy that stops forwarding without closing (a stalled network), at
// connect time and mid-query, on all four types (see scenarios/blackhole.ts).
import { assertFaultReport, runScenario } from "./_support/spawn.ts";
import { scenarioDatabase } from "./_support/target.ts";

const { db, env } = await scenarioDatabase("fault blackhole");

Deno.test("fault: a blackholed network gives bounded errors; handles recover after", async () => {
  assertFaultReport(await runScenario("blackhole.ts", [], env));
});

Deno.test("teardown: close the admin connection", () => db.close());
