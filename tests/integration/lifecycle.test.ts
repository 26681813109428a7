import assert from "node:assert/strict";
import { freshDatabase } from "../support/db.ts";

const db0 = await freshDatabase("lifecycle");
const fixture = (name: string) =>
  new URL(`../fixtures/lifecycle/${name}`, import.meta.url).pathname;

function fixtureConfig(sslmode: string) {
  return JSON.stringify({
    connection_settings: { ...db0.settings, sslmode },
    pool_settings: { min_size: 2, max_size: 4 },
    async_pool_settings: { min_size: 2, max_size: 4 },
  });
}

for (const sslmode of ["disable", "require"]) {
  for (const type of ["normal", "pool", "async", "async_pool"]) {
    Deno.test(`a script using ${type} (sslmode ${sslmode}) exits on its own within 2 s`, async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", fixture("manager_exit.ts"), type],
        env: { PGM_FIXTURE_CONFIG: fixtureConfig(sslmode) },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const out = await child.output();
      clearTimeout(timer);
      const exitedAt = Date.now();
      const stdout = new TextDecoder().decode(out.stdout).trim();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const [gotType, n, doneAt] = stdout.split(" ");
      assert.deepEqual([gotType, n], [type, "42"]);
      const lingered = (exitedAt - Number(doneAt)) / 1000;
      assert.ok(lingered < 2, `process lived ${lingered.toFixed(2)} s after its last query`);
    });
  }
}

Deno.test("closeOnSignals: SIGTERM lets the in-flight transaction commit, then exits 143", async () => {
  await db0.admin`CREATE TABLE drained (step text)`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fixture("drain_on_signal.ts")],
    env: { PGM_FIXTURE_CONFIG: fixtureConfig("disable") },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("running")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  child.kill("SIGTERM");
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  const status = await child.status;
  await child.stderr.cancel();
  const rows = await db0.admin`SELECT step FROM drained ORDER BY step`;
  assert.deepEqual(rows.map((r) => r.step), ["finished", "started"]);
  assert.equal(status.code, 143);
});

Deno.test("closeOnSignals with beforeClose: a SIGTERM'd HTTP service answers what it accepted, no 500s, exits 143", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fixture("http_service.ts")],
    env: { PGM_FIXTURE_CONFIG: fixtureConfig("disable") },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!/listening \d+/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  const port = Number(/listening (\d+)/.exec(seen)![1]);
  const statuses: Record<string, number> = {};
  let stop = false;
  let sent = 0;
  const client = async () => {
    while (!stop) {
      sent++;
      const key = await fetch(`http://127.0.0.1:${port}/`).then(
        async (r) => `${r.status}:${await r.text()}`,
        () => "refused",
      );
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (key === "refused") await new Promise((r) => setTimeout(r, 20));
    }
  };
  const clients = Array.from({ length: 16 }, client);
  await new Promise((r) => setTimeout(r, 500));
  const signalled = performance.now();
  child.kill("SIGTERM");
  const status = await child.status;
  const exitedAfter = (performance.now() - signalled) / 1000;
  stop = true;
  await Promise.all(clients);
  await reader.cancel();
  await child.stderr.cancel();
  assert.equal(status.code, 143);
  assert.ok(exitedAfter < 5, `exited ${exitedAfter.toFixed(2)} s after SIGTERM (timeout 15 s)`);
  assert.ok((statuses["200:2"] ?? 0) > 20, JSON.stringify(statuses));
  const others = Object.keys(statuses).filter((k) => k !== "200:2" && k !== "refused");
  assert.deepEqual(others, [], `only answers and refused connections: ${JSON.stringify(statuses)}`);
});

Deno.test("teardown: close the admin connection", () => db0.close());
