// Fault suite: the server restarts (fast) or stops immediately for 3 s under a write load, on
// pool and async_pool. Each run is a subprocess of its own (see _support/spawn.ts); the server
// is Debian's PostgreSQL with synchronous_commit on, so an acknowledged commit is durable.
import { startDebianServer } from "../support/debian_postgres.ts";
import { assertFaultReport, runScenario } from "./_support/spawn.ts";
import { TARGET_ENV } from "./_support/servers.ts";

const server = await startDebianServer({ settings: { synchronous_commit: "on" } });
const env = {
  [TARGET_ENV]: JSON.stringify({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    dbname: "postgres",
  }),
  PGM_FAULT_NODE: JSON.stringify(server),
};

for (const mode of ["fast", "immediate"]) {
  for (const type of ["pool", "async_pool"]) {
    const what = mode === "fast"
      ? "restart -m fast"
      : "stop -m immediate, 3 s down (longer than the pool timeout), start";
    Deno.test(`fault: ${what} under load on ${type}`, async () => {
      assertFaultReport(await runScenario("restart.ts", [type, mode], env));
    });
  }
}

Deno.test("teardown: stop the Debian server", () => server.stop());
