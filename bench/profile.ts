/**
 * Profiles one side of one benchmark case: starts a throwaway PostgreSQL,
 * runs the workload in a child `deno run --cpu-prof`, and prints where the
 * client's CPU time goes (see `bench/cpuprofile.ts`).
 *
 * ```sh
 * deno run -A bench/profile.ts borrow ours          # or: anchor
 * deno run -A bench/profile.ts single ours 100000   # operations (default per case)
 * deno run -A bench/profile.ts borrow ours 300000 1 # max_size (default 4; 8 for concurrent)
 * BENCH_MIN_SIZE=4 deno run -A bench/profile.ts borrow ours     # min_size (default 1)
 * BENCH_ANCHOR_WARM=1 deno run -A bench/profile.ts borrow anchor # open all `max` first
 * ```
 *
 * Cases: `single`, `tx`, `borrow`, `acquire`, `cache`, `tls`, `concurrent` (32 clients
 * for the given number of seconds, default 10). The `.cpuprofile` is kept
 * (its path is printed) for Chrome DevTools or `bench/cpuprofile.ts`.
 *
 * @module
 */
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGConnectionManager } from "../mod.ts";
import { startThrowawayServerOrExit } from "../tests/support/server.ts";
import {
  acquireQueryAnchor,
  acquireQueryOurs,
  anchorSql,
  type BenchTarget,
  borrowAnchor,
  borrowOurs,
  CONCURRENT_POOL_SIZE,
  pgEnvOf,
  POOL_SIZE,
  selectByKey,
  singleStatement,
  transactionAnchor,
  transactionOurs,
  writeConfig,
} from "./cases.ts";
import { formatSummary, summarizeProfile } from "./cpuprofile.ts";
import { runOk } from "./lib.ts";

const DEFAULT_OPS: Record<string, number> = {
  single: 100_000,
  tx: 20_000,
  borrow: 300_000,
  acquire: 100_000,
  cache: 20_000,
  tls: 50_000,
  concurrent: 10,
};

async function child(
  caseName: string,
  side: string,
  ops: number,
  poolSize: number,
): Promise<void> {
  const target = JSON.parse(Deno.env.get("PGMONKEY_BENCH_TARGET")!) as BenchTarget;
  const manager = new PGConnectionManager();
  const tls = caseName === "tls";
  const concurrent = caseName === "concurrent";
  const file = await writeConfig(target, "profile", {
    type: concurrent ? "async_pool" : "pool",
    sslmode: tls ? "require" : "disable",
    minSize: Number(Deno.env.get("BENCH_MIN_SIZE") ?? (concurrent ? poolSize : 1)),
    maxSize: poolSize,
  });
  const max = poolSize;
  const ours = side === "ours";
  const db = ours ? await manager.getDatabaseConnection(file) : undefined;
  const raw = ours ? undefined : await anchorSql(target, max, {
    ssl: tls ? "require" : false,
    warm: poolSize > 1 && Deno.env.get("BENCH_ANCHOR_WARM") === "1",
  });
  const sql = db?.sql ?? raw!;
  let work: (n: number) => Promise<unknown>;
  switch (caseName) {
    case "single":
    case "tls":
      work = singleStatement(sql);
      break;
    case "tx":
      work = db ? transactionOurs(db) : transactionAnchor(raw!);
      break;
    case "borrow":
      work = db ? borrowOurs(db) : borrowAnchor(raw!);
      break;
    case "acquire":
      work = db ? acquireQueryOurs(db) : acquireQueryAnchor(raw!);
      break;
    case "cache":
      if (!db) throw new Error("the cache case has no anchor");
      work = async (n) => {
        for (let i = 0; i < n; i++) await manager.getDatabaseConnection(file);
      };
      break;
    case "concurrent":
      work = (seconds) => selectByKey(sql, seconds);
      break;
    default:
      throw new Error(`unknown case ${caseName}`);
  }
  await work(concurrent ? 1 : Math.max(1, Math.floor(ops / 10))); // warm-up
  const t0 = performance.now();
  await work(ops);
  const ms = performance.now() - t0;
  console.log(
    concurrent
      ? `${caseName}/${side}: ${ops} s`
      : `${caseName}/${side}: ${ops} ops in ${ms.toFixed(0)} ms = ${
        Math.round(ops / (ms / 1000))
      } ops/s (${((ms * 1000) / ops).toFixed(2)} µs/op)`,
  );
  await manager.clearCache(1);
  await raw?.end({ timeout: 1 });
}

if (Deno.args[0] === "--child") {
  await child(Deno.args[1], Deno.args[2], Number(Deno.args[3]), Number(Deno.args[4]));
} else {
  const [caseName = "single", side = "ours", opsArg, poolArg] = Deno.args;
  if (!(caseName in DEFAULT_OPS)) {
    throw new Error(`unknown case ${caseName}; cases: ${Object.keys(DEFAULT_OPS).join(", ")}`);
  }
  const ops = Number(opsArg ?? DEFAULT_OPS[caseName]);
  const poolSize = Number(
    poolArg ?? (caseName === "concurrent" ? CONCURRENT_POOL_SIZE : POOL_SIZE),
  );
  const server = await startThrowawayServerOrExit();
  const dir = await mkdtemp(join(tmpdir(), "pgmonkey-profile-"));
  try {
    const target: BenchTarget = {
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: "postgres",
      dir,
    };
    if (caseName === "concurrent") {
      await runOk("pgbench", ["-i", "-s", "1", "-q"], { env: pgEnvOf(target) });
    }
    const profDir = join(dir, "prof");
    const out = await runOk(
      Deno.execPath(),
      [
        "run",
        "-A",
        "--cpu-prof",
        `--cpu-prof-dir=${profDir}`,
        new URL(import.meta.url).pathname,
        "--child",
        caseName,
        side,
        String(ops),
        String(poolSize),
      ],
      { env: { PGMONKEY_BENCH_TARGET: JSON.stringify(target) } },
    );
    console.log(out.stdout.trim());
    const [name] = (await readdir(profDir)).filter((f) => f.endsWith(".cpuprofile"));
    const path = join(tmpdir(), `pgmonkey-${caseName}-${side}-${Date.now()}.cpuprofile`);
    await Deno.rename(join(profDir, name), path);
    console.log(formatSummary(summarizeProfile(JSON.parse(await Deno.readTextFile(path)))));
    console.log(`\nprofile: ${path}`);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
