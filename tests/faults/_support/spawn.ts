/**
 * The test side of a fault scenario: runs `scenarios/<name>.ts` in a
 * subprocess of its own (so its count of uncaught errors and unhandled
 * rejections is the whole process's), reads its report, and asserts the
 * three things every scenario promises plus its own checks.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type FaultReport, REPORT_MARKER } from "./scenario.ts";

const SCENARIOS = join(import.meta.dirname!, "..", "scenarios");

/** A subprocess that has not reported after this long is killed (the test fails). */
const HARD_LIMIT_MS = 120_000;

/** Runs a scenario script with `args` (and extra environment) and returns its report. */
export async function runScenario(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<FaultReport> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(SCENARIOS, script), ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), HARD_LIMIT_MS);
  const out = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const line = stdout.split("\n").find((l) => l.startsWith(REPORT_MARKER));
  if (!line) {
    assert.fail(
      `${script} ${args.join(" ")} printed no report (exit ${out.code}, signal ${out.signal}):\n` +
        `${stdout.slice(-2000)}\n${stderr.slice(-4000)}`,
    );
  }
  return JSON.parse(line.slice(REPORT_MARKER.length)) as FaultReport;
}

/**
 * Asserts the three promises (no uncaught error, no caller past its bound,
 * no lost acknowledged write) and every check of the scenario, then prints
 * its figures (they go into docs/RELIABILITY.md).
 */
export function assertFaultReport(r: FaultReport): void {
  const summary = JSON.stringify({
    figures: r.figures,
    calls: r.calls,
    failedCalls: r.failedCalls,
    errorKinds: r.errorKinds,
    worst: r.worst,
    acked: r.acked,
    lost: r.lost,
  });
  console.log(`${r.scenario}: ${summary}`);
  assert.equal(
    r.uncaught,
    0,
    `${r.uncaught} uncaught errors / unhandled rejections, e.g. ${r.uncaughtSamples.join("; ")}`,
  );
  assert.equal(r.lateCount, 0, `callers past their bound: ${JSON.stringify(r.late)}`);
  assert.equal(r.lost, 0, `acknowledged writes lost: ${r.lost} (e.g. ids ${r.lostSample})`);
  assert.ok(r.calls > 0, "the scenario made calls");
  const failed = r.checks.filter((c) => !c.ok);
  assert.deepEqual(failed, [], `failed checks of ${r.scenario}`);
}
