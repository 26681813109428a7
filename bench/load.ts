/**
 * The 32-client cases of the query-path benchmark: pgbench's select-only
 * load (a random `pgbench_accounts` row by primary key) from 32 concurrent
 * loops on an `async_pool` of 8 connections,
 *
 * - for `seconds` per round against `pgbench -S -c 8 -j 2`, interleaved;
 * - kept up for 60 s on a fresh pool, next to raw postgres.js (`max: 8`) and
 *   pgbench doing the same for 60 s, per-second rates (drawn as
 *   docs/bench_sustained.svg);
 * - through a real PgBouncer in transaction mode against direct.
 *
 * The load runs in worker processes (`bench/load_worker.ts`), ours and raw
 * postgres.js each in their own, as pgbench runs in its own.
 *
 * @module
 */
import { join } from "node:path";
import { startPgBouncer } from "../tests/support/pgbouncer.ts";
import { CONCURRENT_POOL_SIZE, type LoadResult, writeConfig } from "./cases.ts";
import { LoadWorker } from "./load_worker.ts";
import type { BenchContext } from "./context.ts";
import { lineChart } from "./chart.ts";
import { fmt, fmtSummary, interleaveRuns, mean, summarize } from "./lib.ts";
import { pgbenchSelect } from "./pgbench.ts";
import { fmtRatio, status } from "./report.ts";

const REPO = new URL("..", import.meta.url).pathname;
/** Where the sustained run's chart goes (referenced from docs/BENCHMARKS.md). */
export const SUSTAINED_SVG = join(REPO, "docs", "bench_sustained.svg");

/** Minimum of the sustained run: last 10 s / first 10 s. */
export const NO_DECAY = 0.95;

/** Writes the config of an `async_pool` with 8 connections; returns its path. */
function asyncPool(ctx: BenchContext, name: string, extra = {}): Promise<string> {
  return writeConfig(ctx.target, name, {
    type: "async_pool",
    minSize: CONCURRENT_POOL_SIZE,
    maxSize: CONCURRENT_POOL_SIZE,
    ...extra,
  });
}

/** Runs `fn` with a fresh worker process, stopped afterwards. */
async function withWorker<T>(fn: (worker: LoadWorker) => Promise<T>): Promise<T> {
  const worker = LoadWorker.start();
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}

/** 32 clients on `async_pool` vs `pgbench -S -c 8 -j 2`, `ctx.seconds` per round. */
export function concurrentCase(ctx: BenchContext): Promise<void> {
  return withWorker((worker) => concurrentRounds(ctx, worker));
}

async function concurrentRounds(ctx: BenchContext, worker: LoadWorker): Promise<void> {
  const { seconds, log } = ctx;
  await worker.openOurs("db", await asyncPool(ctx, "async_pool"));
  const rounds = Math.max(1, Math.min(ctx.rounds, 3));
  log(`32 clients / async_pool max_size 8 vs pgbench -S -c 8 -j 2 -T ${seconds}: ${rounds} rounds`);
  await worker.run("db", 2); // warms up the JIT
  const name =
    `32 clients, select by primary key (pgbench_accounts, scale 1), ${seconds} s per round ` +
    "(`async_pool` max 8, one pool for all rounds / `pgbench -S -c 8 -j 2`)";
  const ours = async () => (await worker.run("db", seconds)).qps;
  if (!ctx.tools) {
    const got = [];
    for (let r = 0; r < rounds; r++) got.push(await ours());
    ctx.report.add({
      name,
      ours: `${fmtSummary(summarize(got))} q/s`,
      anchor: "skipped (no pgbench)",
      ratio: "—",
      target: "≥ 1.00×",
      status: "report",
    });
    return;
  }
  const r = await interleaveRuns(
    { pgbench: async () => (await pgbenchSelect(ctx.pgEnv, seconds)).tps, ours },
    rounds,
    (round, v) =>
      log(
        `  concurrent round ${round}: ours ${fmt(v.ours)} q/s, pgbench ${fmt(v.pgbench)} tps, ` +
          `ratio ${(v.ours / v.pgbench).toFixed(3)}`,
      ),
  );
  ctx.report.paired(
    name,
    { ours: r.values.ours, anchor: r.values.pgbench, ratios: r.ratios.ours },
    1.0,
    "q/s",
  );
}

/** Mean of `values[from..to)` (per-second rates → the rate over that window). */
export function windowRate(values: readonly number[], from: number, to: number): number {
  return mean(values.slice(Math.max(0, from), Math.max(0, to)));
}

/** First and last 10 s of a per-second series, and their ratio. */
export function decay(values: readonly number[]): { first: number; last: number; ratio: number } {
  const first = windowRate(values, 0, 10);
  const last = windowRate(values, values.length - 10, values.length);
  return { first, last, ratio: last / first };
}

/** Rates of consecutive 10-second windows, for the detail lines. */
function windows(values: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length; i += 10) out.push(fmt(windowRate(values, i, i + 10)));
  return out.join(", ");
}

/**
 * First 10 s and last 10 s over several runs together: their rates, and
 * last/first (one run's step from the machine moves it less).
 */
export function pooledDecay(
  runs: readonly (readonly number[])[],
): { first: number; last: number; ratio: number } {
  const parts = runs.map(decay);
  const first = mean(parts.map((d) => d.first));
  const last = mean(parts.map((d) => d.last));
  return { first, last, ratio: last / first };
}

/**
 * The 32-client load for `ctx.sustainedSeconds` without a pause, each run on
 * a fresh pool or instance, one after the other: ours, raw postgres.js
 * `max: 8` (all 8 opened first), pgbench, and ours again (its two runs
 * bracket the anchors; the target is met on both together); writes the
 * chart when `ctx.write`.
 */
export function sustainedCase(ctx: BenchContext): Promise<void> {
  return withWorker((oursWorker) =>
    withWorker((rawWorker) => sustained(ctx, oursWorker, rawWorker))
  );
}

async function sustained(ctx: BenchContext, oursWorker: LoadWorker, rawWorker: LoadWorker) {
  const { sustainedSeconds: seconds, log, target } = ctx;
  log(
    `sustained: the 32-client load for ${seconds} s: ours, raw postgres.js max 8, pgbench, ours`,
  );
  // Warm each worker's JIT on other instances, so the measured ones start fresh and warm.
  await oursWorker.openOurs("warm", await asyncPool(ctx, "sustained_warmup"));
  await oursWorker.run("warm", 2);
  await oursWorker.close("warm");
  await rawWorker.openRaw("warm", target, CONCURRENT_POOL_SIZE);
  await rawWorker.run("warm", 2);
  await rawWorker.close("warm");
  const t0: Record<"ours" | "raw" | "pgbench" | "ours2", number> = {
    ours: 0,
    raw: 0,
    pgbench: 0,
    ours2: 0,
  };
  const oursRun = async (key: "ours" | "ours2"): Promise<LoadResult> => {
    await oursWorker.openOurs(key, await asyncPool(ctx, `sustained_${key}`));
    t0[key] = performance.now();
    const r = await oursWorker.run(key, seconds);
    await oursWorker.close(key);
    log(`  ${key}: ${fmt(r.qps)} q/s; 10 s windows ${windows(r.perSecond)}`);
    return r;
  };
  const ours = await oursRun("ours");
  await rawWorker.openRaw("db", target, CONCURRENT_POOL_SIZE);
  t0.raw = performance.now();
  const anchor = await rawWorker.run("db", seconds);
  await rawWorker.close("db");
  log(`  raw postgres.js: ${fmt(anchor.qps)} q/s; 10 s windows ${windows(anchor.perSecond)}`);
  t0.pgbench = performance.now();
  const bench = ctx.tools ? await pgbenchSelect(ctx.pgEnv, seconds, { progress: true }) : undefined;
  if (bench) log(`  pgbench: ${fmt(bench.tps)} tps; 10 s windows ${windows(bench.perSecond)}`);
  const ours2 = await oursRun("ours2");

  const o = pooledDecay([ours.perSecond, ours2.perSecond]);
  const [o1, o2] = [decay(ours.perSecond), decay(ours2.perSecond)];
  const a = decay(anchor.perSecond);
  const b = bench ? decay(bench.perSecond) : undefined;
  const span = (d: { first: number; last: number; ratio: number }) =>
    `${fmt(d.first)} → ${fmt(d.last)} q/s (${d.ratio.toFixed(2)}×)`;
  const oursQps = (ours.qps + ours2.qps) / 2;
  ctx.report.add({
    name: `the same load kept up for ${seconds} s: first 10 s → last 10 s ` +
      "(ours on a fresh `async_pool` max 8, run before and after the anchors / raw " +
      "postgres.js `max: 8` / `pgbench -S`)",
    ours: `run 1 ${span(o1)}; run 2 ${span(o2)}`,
    anchor: `raw postgres.js ${span(a)}` + (b ? `; pgbench ${span(b)}` : ""),
    ratio: `ours last/first, both runs ${o.ratio.toFixed(3)}×` +
      (bench ? `; ours/pgbench over ${seconds} s ${(oursQps / bench.tps).toFixed(2)}×` : "") +
      `; ours/raw ${(oursQps / anchor.qps).toFixed(2)}×`,
    target: `last 10 s ≥ ${NO_DECAY.toFixed(2)}× first`,
    status: status(o.ratio >= NO_DECAY),
  });
  ctx.report.detail(
    `sustained, q/s per 10-second window: ours ${windows(ours.perSecond)}; raw postgres.js ` +
      windows(anchor.perSecond) + (bench ? `; pgbench ${windows(bench.perSecond)}` : "") +
      `; ours again ${windows(ours2.perSecond)} (per second: docs/bench_sustained.svg)`,
  );
  const others = (key: keyof typeof t0) => ctx.monitor.othersDuring(t0[key], seconds);
  const busy = (key: keyof typeof t0) => mean(others(key).filter(Number.isFinite)).toFixed(2);
  ctx.report.detail(
    `sustained, CPU used by other processes on average (cores): during ours ${busy("ours")}, ` +
      `raw postgres.js ${busy("raw")}` + (bench ? `, pgbench ${busy("pgbench")}` : "") +
      `, ours again ${busy("ours2")}`,
  );
  if (!ctx.write) return;
  const colors = { ours: "#1f6fb4", ours2: "#7fb2de", raw: "#d9541e", pgbench: "#3a9a3a" };
  const lines: { key: keyof typeof t0; name: string; values: number[] }[] = [
    { key: "ours", name: "pgmonkey async_pool, 8", values: ours.perSecond },
    { key: "ours2", name: "pgmonkey, run again", values: ours2.perSecond },
    { key: "raw", name: "raw postgres.js, max: 8", values: anchor.perSecond },
    ...(bench
      ? [{ key: "pgbench" as const, name: "pgbench -S -c 8 -j 2", values: bench.perSecond }]
      : []),
  ];
  const svg = lineChart({
    title: `32 clients, select by primary key, kept up for ${seconds} s`,
    xLabel: "seconds since the start of each run",
    yLabel: "queries (transactions) per second",
    series: lines.map((l) => ({ name: l.name, color: colors[l.key], values: l.values })),
    strip: {
      label: "CPU used by other processes on the machine during each run (cores of " +
        `${navigator.hardwareConcurrency})`,
      max: navigator.hardwareConcurrency,
      series: lines.map((l) => ({ name: l.name, color: colors[l.key], values: others(l.key) })),
    },
    note: `deno task bench, ${new Date().toISOString().slice(0, 10)}; ` +
      `${navigator.hardwareConcurrency} cores shared by client and server; one server, the runs ` +
      "one after the other: pgmonkey, raw postgres.js 3.4.9, pgbench, pgmonkey again",
  });
  await Deno.writeTextFile(SUSTAINED_SVG, svg);
}

/**
 * The 32-client load through a real PgBouncer (transaction pooling, 8
 * server connections, `js_settings.pgbouncer: true`) against the same load
 * direct. Two more sides tell the costs apart: direct with
 * `js_settings.pgbouncer: true` (what unnamed statements cost without the
 * proxy), and pgbench via PgBouncer against pgbench direct (what the proxy
 * costs a client that sends one simple query at a time).
 */
export async function bouncerCase(ctx: BenchContext): Promise<void> {
  const { target, log } = ctx;
  const seconds = Math.max(1, Math.min(ctx.seconds, 4));
  const rounds = Math.max(1, Math.min(ctx.rounds, 3));
  const bouncer = await startPgBouncer({
    server: target,
    poolMode: "transaction",
    poolSize: CONCURRENT_POOL_SIZE,
  });
  const worker = LoadWorker.start();
  try {
    await worker.openOurs("direct", await asyncPool(ctx, "direct"));
    await worker.openOurs("unnamed", await asyncPool(ctx, "direct_unnamed", { pgbouncer: true }));
    await worker.openOurs(
      "via",
      await asyncPool(ctx, "pgbouncer", {
        via: { host: bouncer.host, port: bouncer.port },
        pgbouncer: true,
      }),
    );
    for (const name of ["direct", "unnamed", "via"]) await worker.run(name, 1);
    const viaEnv = { ...ctx.pgEnv, PGHOST: bouncer.host, PGPORT: String(bouncer.port) };
    log(`PgBouncer (transaction mode) vs direct: ${rounds} rounds of ${seconds} s per side`);
    const qps = (name: string) => async () => (await worker.run(name, seconds)).qps;
    const sides: Record<string, () => Promise<number>> = {
      direct: qps("direct"),
      unnamed: qps("unnamed"),
      via: qps("via"),
    };
    if (ctx.tools) {
      sides.pgbenchDirect = async () => (await pgbenchSelect(ctx.pgEnv, seconds)).tps;
      sides.pgbenchVia = async () => (await pgbenchSelect(viaEnv, seconds)).tps;
    }
    const r = await interleaveRuns(sides, rounds, (round, v) =>
      log(
        `  pgbouncer round ${round}: ` +
          Object.entries(v).map(([k, x]) => `${k} ${fmt(x)}`).join(", "),
      ));
    const v = r.values;
    const pgbenchRatio = ctx.tools
      ? summarize(v.pgbenchVia.values.map((x, i) => x / v.pgbenchDirect.values[i]))
      : undefined;
    const viaUnnamed = summarize(v.via.values.map((x, i) => x / v.unnamed.values[i]));
    ctx.report.add({
      name: `PgBouncer ${bouncer.poolMode} mode (pool of 8) vs direct: the 32-client load, ` +
        `${seconds} s per round (\`async_pool\` max 8; via PgBouncer with ` +
        "`js_settings.pgbouncer: true`)",
      ours: `via PgBouncer ${fmtSummary(v.via)} q/s; direct with \`pgbouncer: true\` ` +
        `${fmtSummary(v.unnamed)} q/s`,
      anchor: `direct ${fmtSummary(v.direct)} q/s` +
        (pgbenchRatio
          ? `; pgbench via ${fmtSummary(v.pgbenchVia)}, direct ${fmtSummary(v.pgbenchDirect)} tps`
          : ""),
      ratio: `ours via/direct ${fmtRatio(r.ratios.via)} = unnamed statements ` +
        `${fmtRatio(r.ratios.unnamed)} × the proxy ${fmtRatio(viaUnnamed)}` +
        (pgbenchRatio ? `; pgbench via/direct ${fmtRatio(pgbenchRatio)}` : ""),
      target: "report",
      status: "report",
    });
    ctx.report.detail(
      "PgBouncer vs direct, per round: " +
        Object.entries(v).map(([k, s]) => `${k} ${s.values.map((x) => fmt(x)).join(", ")}`)
          .join("; "),
    );
  } finally {
    await worker.stop();
    await bouncer.stop();
  }
}
