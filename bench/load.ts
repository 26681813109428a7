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
 * The 32-client load for `ctx.sustainedSeconds` without a pause: ours on a
 * fresh pool, raw postgres.js `max: 8` (all 8 opened first), and pgbench,
 * one after the other; writes the chart when `ctx.write`.
 */
export function sustainedCase(ctx: BenchContext): Promise<void> {
  return withWorker((oursWorker) =>
    withWorker((rawWorker) => sustained(ctx, oursWorker, rawWorker))
  );
}

async function sustained(ctx: BenchContext, oursWorker: LoadWorker, rawWorker: LoadWorker) {
  const { sustainedSeconds: seconds, log, target } = ctx;
  log(`sustained: the 32-client load for ${seconds} s, ours, raw postgres.js max 8, pgbench`);
  // Warm each worker's JIT on other instances, so the measured ones start fresh and warm.
  await oursWorker.openOurs("warm", await asyncPool(ctx, "sustained_warmup"));
  await oursWorker.run("warm", 2);
  await oursWorker.close("warm");
  await oursWorker.openOurs("db", await asyncPool(ctx, "sustained"));
  await rawWorker.openRaw("warm", target, CONCURRENT_POOL_SIZE);
  await rawWorker.run("warm", 2);
  await rawWorker.close("warm");
  await rawWorker.openRaw("db", target, CONCURRENT_POOL_SIZE);
  const t0 = { ours: performance.now(), raw: 0, pgbench: 0 };
  const ours: LoadResult = await oursWorker.run("db", seconds);
  await oursWorker.close("db");
  log(`  ours: ${fmt(ours.qps)} q/s; 10 s windows ${windows(ours.perSecond)}`);
  t0.raw = performance.now();
  const anchor = await rawWorker.run("db", seconds);
  await rawWorker.close("db");
  log(`  raw postgres.js: ${fmt(anchor.qps)} q/s; 10 s windows ${windows(anchor.perSecond)}`);
  t0.pgbench = performance.now();
  const bench = ctx.tools ? await pgbenchSelect(ctx.pgEnv, seconds, { progress: true }) : undefined;
  if (bench) log(`  pgbench: ${fmt(bench.tps)} tps; 10 s windows ${windows(bench.perSecond)}`);

  const o = decay(ours.perSecond);
  const a = decay(anchor.perSecond);
  const b = bench ? decay(bench.perSecond) : undefined;
  const span = (d: { first: number; last: number; ratio: number }) =>
    `${fmt(d.first)} → ${fmt(d.last)} q/s (${d.ratio.toFixed(2)}×)`;
  ctx.report.add({
    name: `the same load kept up for ${seconds} s: first 10 s → last 10 s ` +
      "(ours on a fresh `async_pool` max 8 / raw postgres.js `max: 8` / `pgbench -S`)",
    ours: span(o),
    anchor: `raw postgres.js ${span(a)}` + (b ? `; pgbench ${span(b)}` : ""),
    ratio: `ours last/first ${o.ratio.toFixed(3)}×` +
      (bench ? `; ours/pgbench over ${seconds} s ${(ours.qps / bench.tps).toFixed(2)}×` : "") +
      `; ours/raw ${(ours.qps / anchor.qps).toFixed(2)}×`,
    target: `last 10 s ≥ ${NO_DECAY.toFixed(2)}× first`,
    status: status(o.ratio >= NO_DECAY),
  });
  ctx.report.detail(
    `sustained, q/s per 10-second window: ours ${windows(ours.perSecond)}; raw postgres.js ` +
      windows(anchor.perSecond) + (bench ? `; pgbench ${windows(bench.perSecond)}` : "") +
      " (per second: docs/bench_sustained.svg)",
  );
  const others = (from: number) => ctx.monitor.othersDuring(from, seconds);
  const busy = (xs: number[]) => mean(xs.filter(Number.isFinite));
  ctx.report.detail(
    `sustained, CPU used by other processes on average (cores): during ours ` +
      `${busy(others(t0.ours)).toFixed(2)}, raw postgres.js ${busy(others(t0.raw)).toFixed(2)}` +
      (bench ? `, pgbench ${busy(others(t0.pgbench)).toFixed(2)}` : ""),
  );
  if (ctx.write) {
    const colors = { ours: "#1f6fb4", raw: "#d9541e", pgbench: "#3a9a3a" };
    const svg = lineChart({
      title: `32 clients, select by primary key, kept up for ${seconds} s`,
      xLabel: "seconds since the start of the run",
      yLabel: "queries (transactions) per second",
      series: [
        { name: "pgmonkey async_pool, max 8", color: colors.ours, values: ours.perSecond },
        { name: "raw postgres.js 3.4.9, max: 8", color: colors.raw, values: anchor.perSecond },
        ...(bench
          ? [{ name: "pgbench -S -c 8 -j 2", color: colors.pgbench, values: bench.perSecond }]
          : []),
      ],
      strip: {
        label: "CPU used by other processes on the machine during each run (cores of " +
          `${navigator.hardwareConcurrency})`,
        max: navigator.hardwareConcurrency,
        series: [
          { name: "during ours", color: colors.ours, values: others(t0.ours) },
          { name: "during raw postgres.js", color: colors.raw, values: others(t0.raw) },
          ...(bench
            ? [{ name: "during pgbench", color: colors.pgbench, values: others(t0.pgbench) }]
            : []),
        ],
      },
      note: `deno task bench, ${new Date().toISOString().slice(0, 10)}; ` +
        `${navigator.hardwareConcurrency} cores shared by client and server; ` +
        "the three runs one after the other on one server",
    });
    await Deno.writeTextFile(SUSTAINED_SVG, svg);
  }
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
