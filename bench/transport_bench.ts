/**
 * Micro-benchmark of the transport's overhead: 20,000 sequential
 * `SELECT $1::int` through postgres.js, with our transport as its `socket`
 * option versus postgres.js's own socket, plaintext, one connection each.
 * Rounds alternate between the two so both see the same machine load; the
 * result is the throughput ratio with/without (target ≥ 0.97).
 *
 * Run: `deno run -A bench/transport_bench.ts [queries] [rounds]`. Uses the
 * server in `PGMONKEY_TEST_*` when set (e.g. under tests/support/run.ts),
 * else starts a throwaway PostgreSQL.
 *
 * @module
 */
import postgres from "postgres";
import process from "node:process";
import { startThrowawayServerOrExit } from "../tests/support/server.ts";
import { createTransport } from "../src/connect/transport.ts";
import { NO_TLS } from "../src/connect/tls.ts";

const QUERIES = Number(Deno.args[0] ?? 20_000);
const ROUNDS = Number(Deno.args[1] ?? 5);
const BLOCK = 500;

const fromEnv = Deno.env.get("PGMONKEY_TEST_PORT");
const server = fromEnv ? undefined : await startThrowawayServerOrExit();
const host = server?.host ?? Deno.env.get("PGMONKEY_TEST_HOST")!;
const port = server?.port ?? Number(fromEnv);
const user = server?.user ?? Deno.env.get("PGMONKEY_TEST_USER")!;
const password = server?.password ?? Deno.env.get("PGMONKEY_TEST_PASSWORD")!;

const base = {
  host,
  port,
  user,
  password,
  database: "postgres",
  max: 1,
  ssl: false,
  idle_timeout: null,
  max_lifetime: null,
  keep_alive: null,
  onnotice: () => {},
};

type Sql = postgres.Sql;
type Options = postgres.Options<Record<string, postgres.PostgresType>>;

function plain(): Sql {
  return postgres(base as unknown as Options) as unknown as Sql;
}

function withTransport(): Sql {
  const transport = createTransport({ host, port, tls: NO_TLS, user, database: "postgres" });
  return postgres({ ...base, socket: transport.socket } as unknown as Options) as unknown as Sql;
}

const cpu = { with: 0, without: 0 };

/** Times `count` sequential queries (and adds this process's CPU time to `cpu[side]`). */
async function block(sql: Sql, count: number, side?: "with" | "without"): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await sql`SELECT ${i}::int AS n`;
  const elapsed = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (side) cpu[side] += (c.user + c.system) / 1000;
  return elapsed;
}

const sqls = { without: plain(), with: withTransport() };
const ratios: number[] = [];
const totals = { with: 0, without: 0 };
try {
  await block(sqls.without, 2000); // connect, prepare, warm up the JIT and the server
  await block(sqls.with, 2000);
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate blocks of BLOCK queries so that both sides see the same load.
    const t = { with: 0, without: 0 };
    for (let b = 0; b < QUERIES / BLOCK; b++) {
      const order = b % 2 === 0 ? (["without", "with"] as const) : (["with", "without"] as const);
      for (const k of order) t[k] += await block(sqls[k], BLOCK, k);
    }
    ratios.push(t.without / t.with);
    totals.with += t.with;
    totals.without += t.without;
    console.log(
      `round ${r + 1}: without ${t.without.toFixed(0)} ms, with ${t.with.toFixed(0)} ms, ` +
        `ratio ${(t.without / t.with).toFixed(3)}`,
    );
  }
} finally {
  await Promise.all([sqls.without.end(), sqls.with.end()]);
  await server?.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const qps = (ms: number) => Math.round((QUERIES * ROUNDS) / (ms / 1000));
console.log(
  `${QUERIES} sequential SELECT $1::int per round, ${ROUNDS} rounds: ` +
    `without transport ${qps(totals.without)} q/s, with transport ${qps(totals.with)} q/s`,
);
const perQuery = (ms: number) => ((ms * 1000) / (QUERIES * ROUNDS)).toFixed(1);
console.log(
  `client CPU per query: without ${perQuery(cpu.without)} µs, with ${perQuery(cpu.with)} µs ` +
    `(ratio ${(cpu.without / cpu.with).toFixed(3)})`,
);
console.log(
  `throughput ratio with/without transport: median ${median(ratios).toFixed(3)}, ` +
    `overall ${(totals.without / totals.with).toFixed(3)} (target >= 0.97)`,
);
