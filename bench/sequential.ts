/**
 * The one-caller cases of the query-path benchmark, each on a `pool`
 * handle next to raw postgres.js with the same options, interleaved in
 * blocks (`interleave` in lib.ts): a single statement, a transaction,
 * borrowing with and without a statement, borrowing on a pool that has lived
 * 200,000 borrows, the manager's cache hit, the pool storm, and TLS.
 *
 * @module
 */
import type postgres from "postgres";
import { type PGConnection, PGConnectionManager } from "../mod.ts";
import {
  acquireQueryAnchor,
  acquireQueryOurs,
  anchorSql,
  borrowAnchor,
  borrowOurs,
  POOL_SIZE,
  singleStatement,
  transactionAnchor,
  transactionOurs,
  writeConfig,
} from "./cases.ts";
import type { BenchContext } from "./context.ts";
import {
  fmt,
  fmtSummary,
  interleave,
  median,
  quantile,
  summarize,
  type Summary,
  type Workload,
} from "./lib.ts";
import { fmtRatio, roundLogger, status } from "./report.ts";

/** The sequential cases' handle and anchor (both opened once). */
export async function sequentialPair(
  ctx: BenchContext,
): Promise<{ db: PGConnection; raw: postgres.Sql; file: string }> {
  const file = await writeConfig(ctx.target, "pool", { type: "pool" });
  const db = await ctx.manager.getDatabaseConnection(file, "pool");
  const raw = ctx.ownSql(await anchorSql(ctx.target, POOL_SIZE));
  return { db, raw, file };
}

/** Single statement, 20,000 × `SELECT $1::int`, `db.sql` vs raw. */
export async function singleCase(ctx: BenchContext, db: PGConnection, raw: postgres.Sql) {
  ctx.log(`single statement: 20,000 × SELECT $1::int, ${ctx.rounds} rounds`);
  const r = await interleave(
    { ours: singleStatement(db.sql), anchor: singleStatement(raw) },
    { ops: 20_000, rounds: ctx.rounds, blocks: 100, warmup: 2_000 },
    roundLogger(ctx.log, "single"),
  );
  ctx.report.paired("single statement, 20,000 × `SELECT $1::int` (`pool` `db.sql`)", r, 0.97);
}

/** Transaction of two statements, `db.transaction` vs `sql.begin`. */
export async function transactionCase(ctx: BenchContext, db: PGConnection, raw: postgres.Sql) {
  ctx.log(`transaction of 2 statements: 5,000 ×, ${ctx.rounds} rounds`);
  const r = await interleave(
    { ours: transactionOurs(db), anchor: transactionAnchor(raw) },
    { ops: 5_000, rounds: ctx.rounds, blocks: 50, warmup: 500 },
    roundLogger(ctx.log, "tx", "tx/s"),
  );
  ctx.report.paired(
    "transaction of 2 statements, 5,000 × (`db.transaction` / `sql.begin`)",
    r,
    0.95,
    "tx/s",
  );
}

/** Borrow + one statement + release, `acquire()` vs `reserve()`; and the bare borrow. */
export async function acquireCase(ctx: BenchContext, db: PGConnection, raw: postgres.Sql) {
  ctx.log(`acquire + one statement + release: 10,000 ×, ${ctx.rounds} rounds`);
  const q = await interleave(
    { ours: acquireQueryOurs(db), anchor: acquireQueryAnchor(raw) },
    { ops: 10_000, rounds: ctx.rounds, blocks: 50, warmup: 1_000 },
    roundLogger(ctx.log, "acquire+query"),
  );
  ctx.report.paired(
    "`acquire()` + one `SELECT $1::int` + release, 10,000 × (raw: `reserve()` + query + " +
      "`release()`)",
    q,
    0.95,
  );
  ctx.log(`borrow + release alone: 20,000 ×, ${ctx.rounds} rounds`);
  const b = await interleave(
    { ours: borrowOurs(db), anchor: borrowAnchor(raw) },
    { ops: 20_000, rounds: ctx.rounds, blocks: 10, warmup: 2_000 },
    roundLogger(ctx.log, "borrow"),
  );
  const row = ctx.report.paired(
    "borrow + release alone, 20,000 × (`db.acquire()` + `await using` / `sql.reserve()` + " +
      "`release()`)",
    b,
    undefined,
  );
  row.target = "information (no statement: see the row above)";
}

/** Ops per second of `count` operations of `work`. */
async function rate(work: Workload, count: number): Promise<number> {
  const t0 = performance.now();
  await work(count);
  return count / ((performance.now() - t0) / 1000);
}

/**
 * Borrow + release on a pool with 4 idle connections that has lived
 * `grown` operations, against fresh pools, in interleaved blocks: every
 * block opens a fresh pool (untimed), times `block` borrows on it, and times
 * `block` borrows on the long-lived pool (alternating which goes first).
 */
async function agedVsFresh(
  aged: Workload,
  fresh: () => Promise<{ work: Workload; close(): Promise<unknown> }>,
  grown: number,
  blocks: number,
  block: number,
): Promise<{ fresh: Summary; aged: Summary; ratios: Summary }> {
  await aged(grown);
  const f: number[] = [];
  const a: number[] = [];
  for (let i = 0; i < blocks; i++) {
    const other = await fresh();
    await other.work(100); // the first borrows of a new pool open nothing (min_size)
    if (i % 2 === 0) {
      f.push(await rate(other.work, block));
      a.push(await rate(aged, block));
    } else {
      a.push(await rate(aged, block));
      f.push(await rate(other.work, block));
    }
    await other.close();
  }
  return { fresh: summarize(f), aged: summarize(a), ratios: summarize(a.map((v, i) => v / f[i])) };
}

/** The no-decay case for borrowing (postgres.js 3.4.9's idle queue grows with every borrow). */
export async function borrowDecayCase(ctx: BenchContext): Promise<void> {
  const grown = 200_000;
  const blocks = 5;
  const block = 20_000;
  const spec = { type: "pool", minSize: 4, maxSize: 4 } as const;
  const file = await writeConfig(ctx.target, "pool4", spec);
  const freshFile = await writeConfig(ctx.target, "pool4_fresh", spec);
  const fresh = ctx.own(new PGConnectionManager());
  const aged = await ctx.manager.getDatabaseConnection(file, "pool");
  ctx.log(
    `borrow decay: ${fmt(grown)} borrows on a pool of 4 idle connections, then ${blocks} ` +
      `blocks of ${fmt(block)} against fresh pools`,
  );
  const o = await agedVsFresh(
    borrowOurs(aged),
    async () => {
      const db = await fresh.getDatabaseConnection(freshFile, "pool", { forceReload: true });
      return { work: borrowOurs(db), close: () => db.close() };
    },
    grown,
    blocks,
    block,
  );
  ctx.log(`  ours: fresh ${fmtSummary(o.fresh)} → aged ${fmtSummary(o.aged)} ops/s`);
  const rawAged = ctx.ownSql(await anchorSql(ctx.target, 4, { warm: true }));
  const a = await agedVsFresh(
    borrowAnchor(rawAged),
    async () => {
      const sql = await anchorSql(ctx.target, 4, { warm: true });
      return { work: borrowAnchor(sql), close: () => sql.end({ timeout: 1 }) };
    },
    grown,
    blocks,
    block,
  );
  ctx.log(`  raw: fresh ${fmtSummary(a.fresh)} → aged ${fmtSummary(a.aged)} ops/s`);
  ctx.report.add({
    name: `borrow + release on a pool with 4 idle connections: fresh → after ${fmt(grown)} ` +
      `borrows (${blocks} interleaved blocks of ${fmt(block)}; \`min_size\` 4 / raw \`max: 4\`, ` +
      "all 4 opened)",
    ours: `${fmtSummary(o.fresh)} → ${fmtSummary(o.aged)} ops/s`,
    anchor: `${fmtSummary(a.fresh)} → ${fmtSummary(a.aged)} ops/s`,
    ratio: `ours aged/fresh ${fmtRatio(o.ratios)}; raw ${fmtRatio(a.ratios)}`,
    target: "ours aged/fresh ≥ 0.95×",
    status: status(o.ratios.median >= 0.95),
  });
  ctx.report.detail(
    `borrow decay, ops/s per block: ours fresh ${o.fresh.values.map((v) => fmt(v)).join(", ")}, ` +
      `aged ${o.aged.values.map((v) => fmt(v)).join(", ")}; raw fresh ` +
      `${a.fresh.values.map((v) => fmt(v)).join(", ")}, aged ` +
      a.aged.values.map((v) => fmt(v)).join(", "),
  );
  await rawAged.end({ timeout: 1 });
}

/** `getDatabaseConnection` on an unchanged file: the cache hit. */
export async function cacheCase(ctx: BenchContext, db: PGConnection, file: string) {
  const { manager, rounds, log } = ctx;
  log(`getDatabaseConnection cache hit: ${rounds} rounds of 1,000 calls`);
  for (let i = 0; i < 300; i++) await manager.getDatabaseConnection(file, "pool");
  const medians: number[] = [];
  const all: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const us: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t0 = performance.now();
      const again = await manager.getDatabaseConnection(file, "pool");
      us.push((performance.now() - t0) * 1000);
      if (again !== db) throw new Error("cache miss on an unchanged file");
    }
    medians.push(median(us));
    all.push(...us);
    log(`  cache round ${r + 1}: median ${medians[r].toFixed(1)} µs`);
  }
  const s = summarize(medians);
  ctx.report.add({
    name: "`getDatabaseConnection` cache hit, unchanged file",
    ours: `${fmtSummary(s, 1, " µs")} median/call; p90 ${quantile(all, 0.9).toFixed(1)} µs`,
    anchor: "—",
    ratio: "—",
    target: "≤ 100 µs",
    status: status(s.median <= 100),
  });
  ctx.report.detail(
    `cache hit: per-round median µs ${medians.map((m) => m.toFixed(1)).join(", ")}`,
  );
}

/** 1,000 concurrent first calls of `getDatabaseConnection`: one pool, ≤ max_size backends. */
export async function stormCase(ctx: BenchContext): Promise<void> {
  const app = "pgmonkey-bench-storm";
  const file = await writeConfig(ctx.target, "storm", {
    type: "pool",
    minSize: 2,
    maxSize: 8,
    applicationName: app,
  });
  const storm = ctx.own(new PGConnectionManager());
  ctx.log("pool storm: 1,000 concurrent first calls of getDatabaseConnection, each runs a query");
  const t0 = performance.now();
  const got = await Promise.all(
    Array.from({ length: 1000 }, async () => {
      const db = await storm.getDatabaseConnection(file, "pool");
      const [{ pid }] = await db.sql`SELECT pg_backend_pid() AS pid`;
      return { db, pid: pid as number };
    }),
  );
  const ms = performance.now() - t0;
  const handles = new Set(got.map((g) => g.db));
  const pids = new Set(got.map((g) => g.pid));
  const [{ n }] = await got[0].db.sql`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${app}`;
  // After the count: connections the storm asked for may still have been opening before it.
  const stats = got[0].db.stats();
  const pools = Math.max(handles.size, storm.cacheInfo.size);
  const ok = pools === 1 && handles.size === 1 && stats.opened <= stats.maxSize &&
    n <= stats.maxSize;
  const row = ctx.report.add({
    name: "pool storm: 1,000 concurrent first calls (`pool`, max_size 8)",
    ours: `${pools} pool, ${stats.opened} backends opened (${n} in pg_stat_activity; the ` +
      `1,000 queries ran on ${pids.size} of them), ${fmt(ms)} ms`,
    anchor: "—",
    ratio: "—",
    target: "1 pool, ≤ max_size backends",
    status: status(ok),
  });
  ctx.log(`  ${row.ours}`);
  await storm.clearCache();
}

/** TLS (`sslmode: require`) single statement, for information. */
export async function tlsCase(ctx: BenchContext): Promise<void> {
  const file = await writeConfig(ctx.target, "tls", { type: "pool", sslmode: "require" });
  const db = await ctx.manager.getDatabaseConnection(file, "pool");
  if (db.stats().tls !== true) throw new Error("the sslmode=require pool is not using TLS");
  const raw = ctx.ownSql(await anchorSql(ctx.target, POOL_SIZE, { ssl: "require" }));
  ctx.log(`TLS single statement: 20,000 × SELECT $1::int, ${ctx.rounds} rounds`);
  const r = await interleave(
    { ours: singleStatement(db.sql), anchor: singleStatement(raw) },
    { ops: 20_000, rounds: ctx.rounds, blocks: 100, warmup: 2_000 },
    roundLogger(ctx.log, "tls"),
  );
  const row = ctx.report.paired(
    "TLS (`sslmode: require`) single statement, 20,000 × (`ssl: 'require'` anchor)",
    r,
    undefined,
  );
  row.target = "information";
}
