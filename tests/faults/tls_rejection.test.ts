// Fault suite: 120 connection attempts whose client certificate the server rejects (TLS 1.3
// alert after the handshake), on all four types (see scenarios/tls_rejection.ts).
import { assertFaultReport, runScenario } from "./_support/spawn.ts";
import { scenarioDatabase } from "./_support/target.ts";

const { db, env } = await scenarioDatabase("fault tls");

Deno.test("fault: TLS client certificate rejections in a loop never crash the process", async () => {
  assertFaultReport(await runScenario("tls_rejection.ts", [], env));
});

Deno.test("teardown: close the admin connection", () => db.close());
