/**
 * Stands in for postgres.js's `tests/test.js` when its suite runs under
 * `scripts/pgjs_suite/run.ts` (the import map points the suite's
 * `./test.js` here). Same contract as upstream's: `t(name, [options], fn)`
 * registers a test whose `fn` returns `[expected, got, …]`; tests run one
 * after another, each within `options.timeout` seconds (default
 * `t.timeout`, 5); a test passes when `expected === got` once the array's
 * promises settle. Two deliberate differences, so that every test gets a
 * result of its own: upstream skips every test after the first failure, this
 * one runs them all; and an unhandled rejection or uncaught error is counted
 * against the test running at that moment instead of ending the process.
 *
 * `PGJS_SUITE_FILTER` (a regular expression) runs only the tests whose
 * name matches. When the last test has finished, the results are written as JSON to the
 * file named by `PGJS_SUITE_RESULTS` and the process exits (a test may leave
 * connections behind that would otherwise keep it alive).
 *
 * @example
 * ```ts ignore
 * import { t } from "./harness.ts";
 * t("one is one", async () => [1, 1]);
 * ```
 *
 * @module
 */
import { inspect } from "node:util";

/** The result of one test of the suite. */
export interface TestResult {
  /** Line of the `t(…)` call in the suite file (upstream's key for a test). */
  line: number;
  /** The test's name. */
  name: string;
  /** `passed`, `failed` (wrong result or an error) or `timeout`. */
  status: "passed" | "failed" | "timeout";
  /** First line of the failure, when it failed. */
  error?: string;
  /** Unhandled rejections and uncaught errors while it ran (first lines). */
  uncaught: string[];
  /** Milliseconds it took. */
  ms: number;
}

type Fn = () => unknown;
interface Registered {
  line: number;
  name: string;
  timeout: number;
  fn: Fn;
}

const registered: Registered[] = [];
const results: TestResult[] = [];
let current: TestResult | undefined;
let scheduled = false;
let only = false;
let ignored = 0;

const firstLine = (x: unknown) =>
  (x instanceof Error ? `${x.name}: ${x.message}` : inspect(x)).split("\n")[0].slice(0, 300);

function onUncaught(what: unknown): void {
  const text = firstLine(what);
  if (current) current.uncaught.push(text);
  else orphans.push(text);
}
/** Uncaught errors seen between tests. */
const orphans: string[] = [];

globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  onUncaught(e.reason);
});
globalThis.addEventListener("error", (e) => {
  e.preventDefault();
  onUncaught(e.error ?? e.message);
});

/** The line of the suite file that called `t`: the first stack frame outside this module. */
function callerLine(): number {
  const here = import.meta.url;
  for (const frame of (new Error().stack ?? "").split("\n").slice(1)) {
    if (frame.includes(here)) continue;
    const m = frame.match(/:(\d+):\d+\)?$/);
    if (m) return Number(m[1]);
  }
  return 0;
}

function register(isOnly: boolean, name: string, options: unknown, fn?: Fn): void {
  if (typeof options !== "object" || options === null) {
    fn = options as Fn;
    options = {};
  }
  const timeout = (options as { timeout?: number }).timeout || t.timeout;
  if (isOnly) only = true;
  registered.push({
    line: callerLine(),
    name,
    timeout,
    fn: fn!,
    ...(isOnly ? { only: true } : {}),
  });
  if (!scheduled) {
    scheduled = true;
    // Upstream registers after `await 1`; every `t(…)` of the file has run by then.
    setTimeout(() => void runAll(), 0);
  }
}

/** Registers a test (upstream's `t`). */
export const t: ((name: string, options: unknown, fn?: Fn) => void) & { timeout: number } = Object
  .assign((name: string, options: unknown, fn?: Fn) => register(false, name, options, fn), {
    timeout: 5,
  });

/** Registers a test and runs only the tests registered with `ot` (upstream's `ot`). */
export const ot = (name: string, options: unknown, fn?: Fn): void =>
  register(true, name, options, fn);

/** A disabled test (upstream's `nt`): counted as ignored. */
export const nt = (): void => {
  ignored++;
};

async function runOne(test: Registered): Promise<TestResult> {
  const result: TestResult = {
    line: test.line,
    name: test.name,
    status: "passed",
    uncaught: [],
    ms: 0,
  };
  current = result;
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = Symbol("timeout");
  try {
    const x = await Promise.race([
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(timedOut), test.timeout * 1000);
      }),
      (async () => await test.fn())(),
    ]);
    if (!Array.isArray(x)) throw new Error("Test should return result array");
    const [expected, got] = await Promise.race([
      Promise.all(x),
      new Promise<never>((_, reject) => {
        clearTimeout(timer);
        timer = setTimeout(() => reject(timedOut), test.timeout * 1000);
      }),
    ]);
    if (expected !== got) throw new Error(inspect(expected) + " != " + inspect(got));
  } catch (e) {
    result.status = e === timedOut ? "timeout" : "failed";
    result.error = e === timedOut ? "Timed out" : firstLine(e);
  } finally {
    clearTimeout(timer);
    result.ms = Math.round(performance.now() - started);
  }
  return result;
}

async function runAll(): Promise<void> {
  const filter = Deno.env.get("PGJS_SUITE_FILTER");
  const pattern = filter ? new RegExp(filter) : undefined;
  const chosen =
    (only ? registered.filter((r) => (r as Registered & { only?: boolean }).only) : registered)
      .filter((r) => !pattern || pattern.test(r.name));
  for (const test of chosen) {
    const result = await runOne(test);
    results.push(result);
    const mark = result.status === "passed" ? "✅" : result.status === "timeout" ? "⏱️" : "⛔️";
    const extra = result.uncaught.length ? ` (${result.uncaught.length} uncaught)` : "";
    console.log(
      `${mark} ${result.line} ${result.name}${result.error ? ": " + result.error : ""}${extra}`,
    );
  }
  current = undefined;
  // Late uncaught errors (a test's leftovers) still count, against the run as a whole.
  await new Promise((r) => setTimeout(r, 500));
  const out = Deno.env.get("PGJS_SUITE_RESULTS");
  const report = { results, ignored, only, uncaughtOutsideTests: orphans };
  if (out) await Deno.writeTextFile(out, JSON.stringify(report, null, 1) + "\n");
  const passed = results.filter((r) => r.status === "passed").length;
  console.log(`suite: ${passed} passed, ${results.length - passed} failed`);
  Deno.exit(0);
}
