/**
 * Compares two runs of postgres.js's test suite (raw postgres.js and through
 * pgmonkey, see `run.ts`) test by test. Pure: no I/O.
 *
 * @example
 * ```ts
 * import { compareRuns } from "./compare.ts";
 * const ok = { line: 1, name: "a", status: "passed" as const, uncaught: [], ms: 1 };
 * const c = compareRuns({ results: [ok] }, { results: [ok] }, {});
 * console.log(c.unexplained.length); // 0
 * ```
 *
 * @module
 */
import type { TestResult } from "./harness.ts";

/** What the harness writes for one run. */
export interface SuiteReport {
  /** One entry per test, in suite order. */
  results: TestResult[];
  /** Uncaught errors seen while no test ran. */
  uncaughtOutsideTests?: string[];
}

/** One test in both runs. */
export interface ComparedTest {
  /** Line of the test in `tests/index.js`. */
  line: number;
  /** Its name. */
  name: string;
  /** Result on raw postgres.js (undefined: not in that run). */
  raw?: TestResult;
  /** Result through pgmonkey. */
  pgmonkey?: TestResult;
  /** Why it differs on purpose, when it is a documented difference. */
  reason?: string;
}

/** The outcome of {@link compareRuns}. */
export interface Comparison {
  /** Every test, in suite order. */
  tests: ComparedTest[];
  /** Passes raw, fails through pgmonkey, and is not a documented difference. */
  unexplained: ComparedTest[];
  /** Passes raw, fails through pgmonkey, documented. */
  documented: ComparedTest[];
  /** Fails on raw postgres.js. */
  failingRaw: ComparedTest[];
  /** Documented differences whose test now passes (the entry can go). */
  stale: string[];
  /** A few lines for the console. */
  summary: string;
  /** The whole comparison as a Markdown table. */
  markdown: string;
}

/**
 * Tests of postgres.js's suite that cannot pass through pgmonkey, by name,
 * with the reason (see docs/RELIABILITY.md). None: the last five (the
 * `socket` option, postgres.js's host order) pass since the adapter carries
 * both out.
 */
export const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {};

const passed = (r?: TestResult) => r?.status === "passed";

function cell(r?: TestResult): string {
  if (!r) return "—";
  const uncaught = r.uncaught.length ? ` (${r.uncaught.length} uncaught)` : "";
  if (r.status === "passed") return `pass${uncaught}`;
  const why = (r.error ?? r.status).replace(/\|/g, "\\|").slice(0, 120);
  return `${r.status === "timeout" ? "timeout" : "FAIL"}: ${why}${uncaught}`;
}

/** Matches the two runs' results by test name and sorts them into the lists above. */
export function compareRuns(
  raw: SuiteReport,
  pgmonkey: SuiteReport,
  known: Readonly<Record<string, string>>,
): Comparison {
  const byName = new Map<string, ComparedTest>();
  for (const r of raw.results) byName.set(r.name, { line: r.line, name: r.name, raw: r });
  for (const r of pgmonkey.results) {
    const entry = byName.get(r.name) ?? { line: r.line, name: r.name };
    entry.pgmonkey = r;
    byName.set(r.name, entry);
  }
  const tests = [...byName.values()].sort((a, b) => a.line - b.line);
  const unexplained: ComparedTest[] = [];
  const documented: ComparedTest[] = [];
  const failingRaw: ComparedTest[] = [];
  for (const t of tests) {
    if (!passed(t.raw)) failingRaw.push(t);
    else if (!passed(t.pgmonkey)) {
      if (known[t.name] !== undefined) {
        t.reason = known[t.name];
        documented.push(t);
      } else unexplained.push(t);
    }
  }
  const stale = Object.keys(known).filter((name) => passed(byName.get(name)?.pgmonkey));
  const count = (rs: TestResult[]) => rs.filter((r) => r.status === "passed").length;
  const uncaught = (rs: TestResult[]) => rs.reduce((n, r) => n + r.uncaught.length, 0);
  const summary = [
    `raw postgres.js: ${count(raw.results)} passed / ${raw.results.length - count(raw.results)} ` +
    `failed (${uncaught(raw.results)} uncaught errors)`,
    `through pgmonkey: ${count(pgmonkey.results)} passed / ` +
    `${pgmonkey.results.length - count(pgmonkey.results)} failed ` +
    `(${uncaught(pgmonkey.results)} uncaught errors)`,
    `passes raw, fails through pgmonkey: ${unexplained.length + documented.length} ` +
    `(${documented.length} documented, ${unexplained.length} unexplained)`,
    ...unexplained.map((t) => `  UNEXPLAINED ${t.line} ${t.name}: ${cell(t.pgmonkey)}`),
    ...stale.map((name) => `  documented difference now passes: ${name}`),
  ].join("\n");
  const rows = tests.map((t) =>
    `| ${t.line} | ${t.name.replace(/\|/g, "\\|")} | ${cell(t.raw)} | ${cell(t.pgmonkey)} | ${
      t.reason ?? ""
    } |`
  );
  const markdown = [
    summary.split("\n").map((l) => `    ${l}`).join("\n"),
    "",
    "| line | test | raw postgres.js | through pgmonkey | difference |",
    "|---:|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
  return { tests, unexplained, documented, failingRaw, stale, summary, markdown };
}
