/**
 * The inside of a fault scenario (a subprocess started by its test, see
 * `spawn.ts`): counts every uncaught error and unhandled rejection of the
 * process, times every call against its bound, keeps the ledger of
 * acknowledged writes, and prints one `FAULT-REPORT {json}` line at the end.
 *
 * The three things every scenario is judged on:
 * - **no uncaught error**: `error` / `unhandledrejection` events, counted
 *   (and prevented, so the scenario runs to its end and reports them);
 * - **no caller waiting past its timeout**: each call runs through
 *   {@link Scenario.call} with its bound; one that takes longer, or never
 *   settles (a watchdog gives up on it), is reported;
 * - **no lost acknowledged write**: {@link Scenario.ack} records each id
 *   whose commit resolved; {@link Scenario.verifyAcked} compares them with
 *   what the server has afterwards.
 *
 * @module
 */

/** How one call ended. */
export type Outcome<T> =
  | { ok: true; value: T; ms: number }
  | { ok: false; error: unknown; ms: number; stuck: boolean };

/** A call that took longer than its bound (or never settled). */
export interface LateCall {
  label: string;
  ms: number;
  boundMs: number;
  outcome: string;
}

/** A scenario-specific property and whether it held. */
export interface Check {
  what: string;
  ok: boolean;
  detail?: string;
}

/** What a scenario prints (and its test asserts on). */
export interface FaultReport {
  scenario: string;
  uncaught: number;
  uncaughtSamples: string[];
  calls: number;
  failedCalls: number;
  /** Error kinds (`name code`) and how often each ended a call. */
  errorKinds: Record<string, number>;
  late: LateCall[];
  lateCount: number;
  /** The longest call relative to its bound. */
  worst?: { label: string; ms: number; boundMs: number };
  acked: number;
  /** Acknowledged ids missing afterwards (`null`: never verified). */
  lost: number | null;
  lostSample: number[];
  checks: Check[];
  figures: Record<string, number | string>;
}

/** The marker before the report's JSON on stdout. */
export const REPORT_MARKER = "FAULT-REPORT ";

/** Extra time a call gets past its bound before the watchdog declares it stuck. */
const WATCHDOG_MS = 5_000;

/** `name code: first line of the message`, for reports. */
export function describeError(e: unknown): string {
  const err = e as { name?: string; code?: unknown; message?: string } | null;
  const name = err?.name ?? typeof e;
  const code = typeof err?.code === "string" ? ` ${err.code}` : "";
  const message = String(err?.message ?? e).split("\n")[0];
  return `${name}${code}: ${message}`;
}

/** `name code` of an error (the key of {@link FaultReport.errorKinds}). */
export function errorKind(e: unknown): string {
  const err = e as { name?: string; code?: unknown } | null;
  const code = typeof err?.code === "string" ? ` ${err.code}` : "";
  return `${err?.name ?? typeof e}${code}`;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Milliseconds since `t0` (a `performance.now()` value), rounded. */
export const since = (t0: number): number => Math.round(performance.now() - t0);

/** See the module documentation. */
export class Scenario {
  readonly name: string;
  readonly #acked = new Set<number>();
  readonly #late: LateCall[] = [];
  readonly #errorKinds: Record<string, number> = {};
  readonly #checks: Check[] = [];
  readonly #figures: Record<string, number | string> = {};
  readonly #uncaught: string[] = [];
  #uncaughtCount = 0;
  #calls = 0;
  #failed = 0;
  #worst: { label: string; ms: number; boundMs: number } | undefined;
  #lost: number | null = null;
  #lostSample: number[] = [];

  /** Starts counting uncaught errors and unhandled rejections of this process. */
  constructor(name: string) {
    this.name = name;
    globalThis.addEventListener("error", (e) => {
      e.preventDefault();
      this.#noteUncaught("uncaught", e.error ?? e.message);
    });
    globalThis.addEventListener("unhandledrejection", (e) => {
      e.preventDefault();
      this.#noteUncaught("unhandled rejection", e.reason);
    });
  }

  #noteUncaught(kind: string, e: unknown): void {
    this.#uncaughtCount++;
    if (this.#uncaught.length < 5) this.#uncaught.push(`${kind}: ${describeError(e)}`);
  }

  /**
   * Runs one caller's call and times it against `boundMs`. Never rejects:
   * the outcome says how it ended. A call that has not settled by
   * `boundMs` + 5 s is given up on (`stuck`) so the scenario can go on.
   */
  async call<T>(label: string, boundMs: number, run: () => Promise<T>): Promise<Outcome<T>> {
    this.#calls++;
    const t0 = performance.now();
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const settled = (async () => {
      try {
        return { ok: true as const, value: await run() };
      } catch (error) {
        return { ok: false as const, error, stuck: false };
      }
    })();
    const stuck = new Promise<{ ok: false; error: unknown; stuck: true }>((resolve) => {
      watchdog = setTimeout(
        () => resolve({ ok: false, error: new Error("never settled"), stuck: true }),
        boundMs + WATCHDOG_MS,
      );
    });
    const r = await Promise.race([settled, stuck]);
    clearTimeout(watchdog);
    const ms = performance.now() - t0;
    if (!r.ok) {
      this.#failed++;
      const kind = r.stuck ? "stuck" : errorKind(r.error);
      this.#errorKinds[kind] = (this.#errorKinds[kind] ?? 0) + 1;
    }
    if (!this.#worst || ms / boundMs > this.#worst.ms / this.#worst.boundMs) {
      this.#worst = { label, ms: Math.round(ms), boundMs };
    }
    if (ms > boundMs || (!r.ok && r.stuck)) {
      this.#late.push({
        label,
        ms: Math.round(ms),
        boundMs,
        outcome: r.ok ? "ok" : r.stuck ? "never settled" : describeError(r.error),
      });
    }
    return { ...r, ms } as Outcome<T>;
  }

  /** Records an acknowledged write (its commit resolved). */
  ack(id: number): void {
    this.#acked.add(id);
  }

  /** Number of acknowledged writes so far. */
  get acked(): number {
    return this.#acked.size;
  }

  /** Compares the acknowledged ids with the ids the server has. */
  verifyAcked(present: Iterable<number>): void {
    const have = new Set(present);
    const lost = [...this.#acked].filter((id) => !have.has(id));
    this.#lost = lost.length;
    this.#lostSample = lost.slice(0, 10);
  }

  /** Records a scenario-specific property. */
  check(what: string, ok: boolean, detail?: string): void {
    this.#checks.push(detail === undefined ? { what, ok } : { what, ok, detail });
  }

  /** Records a measured figure (for docs/RELIABILITY.md). */
  figure(name: string, value: number | string): void {
    this.#figures[name] = value;
  }

  /** The report so far. */
  report(): FaultReport {
    return {
      scenario: this.name,
      uncaught: this.#uncaughtCount,
      uncaughtSamples: this.#uncaught,
      calls: this.#calls,
      failedCalls: this.#failed,
      errorKinds: this.#errorKinds,
      late: this.#late.slice(0, 10),
      lateCount: this.#late.length,
      worst: this.#worst,
      acked: this.#acked.size,
      lost: this.#lost,
      lostSample: this.#lostSample,
      checks: this.#checks,
      figures: this.#figures,
    };
  }

  /**
   * Runs the scenario body, then waits a moment for late errors, prints the
   * report and exits. An error thrown by the body becomes a failed check.
   */
  async run(body: (s: Scenario) => Promise<void>): Promise<never> {
    try {
      await body(this);
    } catch (e) {
      this.check("the scenario ran to its end", false, describeError(e));
    }
    await sleep(300); // errors emitted while sockets close still count
    console.log(REPORT_MARKER + JSON.stringify(this.report()));
    Deno.exit(0);
  }
}

/** Polls `test` every 25 ms until it is true or `ms` pass; returns whether it became true. */
export async function eventually(test: () => boolean | Promise<boolean>, ms: number) {
  const until = performance.now() + ms;
  for (;;) {
    if (await test()) return true;
    if (performance.now() > until) return false;
    await sleep(25);
  }
}
