// The comparison of two runs of postgres.js's test suite (scripts/pgjs_suite/compare.ts).
import assert from "node:assert/strict";
import { compareRuns, KNOWN_DIFFERENCES } from "../../scripts/pgjs_suite/compare.ts";
import type { TestResult } from "../../scripts/pgjs_suite/harness.ts";

const result = (line: number, name: string, status: TestResult["status"], error?: string) => ({
  line,
  name,
  status,
  uncaught: [],
  ms: 1,
  ...(error ? { error } : {}),
});

Deno.test("tests that pass raw and fail through pgmonkey are unexplained unless documented", () => {
  const raw = {
    results: [
      result(10, "a", "passed"),
      result(20, "b", "passed"),
      result(30, "c", "failed", "boom"),
      result(40, "d", "passed"),
    ],
  };
  const pg = {
    results: [
      result(10, "a", "passed"),
      result(20, "b", "timeout", "Timed out"),
      result(30, "c", "failed", "boom"),
      result(40, "d", "failed", "x | y"),
    ],
  };
  const c = compareRuns(raw, pg, { d: "on purpose", gone: "fixed since" });
  assert.deepEqual(c.unexplained.map((t) => t.name), ["b"]);
  assert.deepEqual(c.documented.map((t) => [t.name, t.reason]), [["d", "on purpose"]]);
  assert.deepEqual(c.failingRaw.map((t) => t.name), ["c"]);
  assert.deepEqual(c.stale, []);
  assert.match(c.summary, /raw postgres.js: 3 passed \/ 1 failed/);
  assert.match(c.summary, /through pgmonkey: 1 passed \/ 3 failed/);
  assert.match(c.summary, /UNEXPLAINED 20 b: timeout: Timed out/);
  assert.match(c.markdown, /\| 40 \| d \| pass \| FAIL: x \\\| y \| on purpose \|/);
});

Deno.test("a documented difference whose test passes again is reported as stale", () => {
  const run = { results: [result(1, "Multiple hosts", "passed")] };
  const c = compareRuns(run, run, { ...KNOWN_DIFFERENCES, "Multiple hosts": "an old reason" });
  assert.deepEqual(c.stale, ["Multiple hosts"]);
  assert.match(c.summary, /documented difference now passes: Multiple hosts/);
});
