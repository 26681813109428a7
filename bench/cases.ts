/**
 * The workloads of the query-path benchmark, shared by `bench/run.ts` (the
 * full, interleaved run) and `bench/profile.ts` (one side of one case under
 * `--cpu-prof`). Every case has an "ours" side (a pgmonkey handle from
 * `PGConnectionManager`) and, where the issue names one, an "anchor" side
 * (raw postgres.js with the same options, or pgbench/psql).
 *
 * @module
 */
import postgres from "postgres";
import { join } from "node:path";
import type { PGConnection } from "../mod.ts";
import type { Workload } from "./lib.ts";

/** Where the benchmark database is, and where its config files go. */
export interface BenchTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Database holding the pgbench tables. */
  database: string;
  /** Directory for the generated YAML config files. */
  dir: string;
}

/** libpq's environment for psql/pgbench against `target` (plaintext). */
export function pgEnvOf(target: BenchTarget): Record<string, string> {
  return {
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGUSER: target.user,
    PGPASSWORD: target.password,
    PGDATABASE: target.database,
    PGSSLMODE: "disable",
  };
}

/**
 * Pool of the sequential cases: `min_size` 1, `max_size` 4 (anchor: `max: 4`).
 * Sequential work uses one connection on both sides. (With `min_size` ≥ 2,
 * postgres.js 3.4.9's idle queue grows by one slot per operation and every
 * operation scans it; the `queue` case measures that separately.)
 */
export const POOL_MIN = 1;
/** `max_size` of the sequential cases' pool, and the anchor's `max`. */
export const POOL_SIZE = 4;
/** `async_pool` `max_size` of the concurrency case (= pgbench `-c`). */
export const CONCURRENT_POOL_SIZE = 8;
/** Rows of `pgbench_accounts` at `pgbench -i -s 1`. */
export const ACCOUNTS = 100_000;
/** The statement pgbench's built-in `select-only` script runs. */
export const PGBENCH_SELECT = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";

/** What a generated config file says. */
export interface ConfigSpec {
  type: "normal" | "pool" | "async_pool";
  sslmode?: "disable" | "require";
  minSize?: number;
  maxSize?: number;
  applicationName?: string;
  /** Connect here instead of the target's server (e.g. a PgBouncer in front of it). */
  via?: { host: string; port: number };
  /** `js_settings.pgbouncer: true` (PgBouncer in transaction pooling mode). */
  pgbouncer?: boolean;
}

/** Writes a pgmonkey YAML config for `target` and returns its path. */
export async function writeConfig(
  target: BenchTarget,
  name: string,
  spec: ConfigSpec,
): Promise<string> {
  const q = (s: string | number) => JSON.stringify(String(s)); // a YAML double-quoted scalar
  const pool = [
    `  min_size: ${spec.minSize ?? POOL_MIN}`,
    `  max_size: ${spec.maxSize ?? POOL_SIZE}`,
    "  timeout: 30",
    "  max_idle: 300",
    "  max_lifetime: 3600",
  ];
  const js = spec.pgbouncer ? ["js_settings:", "  pgbouncer: true"] : [];
  const lines = [
    `connection_type: ${q(spec.type)}`,
    "connection_settings:",
    `  user: ${q(target.user)}`,
    `  password: ${q(target.password)}`,
    `  host: ${q(spec.via?.host ?? target.host)}`,
    `  port: ${q(spec.via?.port ?? target.port)}`,
    `  dbname: ${q(target.database)}`,
    `  sslmode: ${q(spec.sslmode ?? "disable")}`,
    ...(spec.applicationName ? [`  application_name: ${q(spec.applicationName)}`] : []),
    "sync_settings: {}",
    "async_settings: {}",
    "pool_settings:",
    ...pool,
    "async_pool_settings:",
    ...pool,
    ...js,
    "",
  ];
  const path = join(target.dir, `${name}.yaml`);
  // Owner-only: the file holds a literal password (pgmonkey warns about readable ones).
  await Deno.writeTextFile(path, lines.join("\n"), { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  return path;
}

/**
 * The anchor: a raw postgres.js pool with the options our `pool` passes
 * (same host, port, database, credentials, `max`, `prepare: true`). Like any
 * postgres.js pool it opens connections on demand; `warm` opens all `max`
 * at once first (as our `min_size` warm-up does).
 */
export async function anchorSql(
  target: BenchTarget,
  max: number,
  options: { ssl?: false | "require"; warm?: boolean } = {},
): Promise<postgres.Sql> {
  const sql = postgres({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    max,
    prepare: true,
    ssl: options.ssl ?? false,
    onnotice: () => {},
  }) as unknown as postgres.Sql;
  const held = await Promise.all(
    Array.from({ length: options.warm ? max : 1 }, () => sql.reserve()),
  );
  for (const r of held) r.release();
  return sql;
}

/** 1. Single statement: sequential `SELECT $1::int` on a postgres.js `sql` (ours: `db.sql`). */
export function singleStatement(sql: postgres.Sql): Workload {
  let k = 0;
  return async (count) => {
    for (let i = 0; i < count; i++) await sql`SELECT ${k++ & 0xffff}::int AS n`;
  };
}

/** 2a. Transaction of two statements through `db.transaction`. */
export function transactionOurs(db: PGConnection): Workload {
  let k = 0;
  return async (count) => {
    for (let i = 0; i < count; i++) {
      const n = k++ & 0xffff;
      await db.transaction(async (tx) => {
        await tx`SELECT ${n}::int AS n`;
        await tx`SELECT ${n + 1}::int AS n`;
      });
    }
  };
}

/** 2b. The same transaction through raw `sql.begin`. */
export function transactionAnchor(sql: postgres.Sql): Workload {
  let k = 0;
  return async (count) => {
    for (let i = 0; i < count; i++) {
      const n = k++ & 0xffff;
      await sql.begin(async (tx) => {
        await tx`SELECT ${n}::int AS n`;
        await tx`SELECT ${n + 1}::int AS n`;
      });
    }
  };
}

/** 3a. Borrow + release through `db.acquire()` and `await using`. */
export function borrowOurs(db: PGConnection): Workload {
  return async (count) => {
    for (let i = 0; i < count; i++) {
      await using _conn = await db.acquire();
    }
  };
}

/** 3b. Borrow + release through raw `sql.reserve()` and `release()`. */
export function borrowAnchor(sql: postgres.Sql): Workload {
  return async (count) => {
    for (let i = 0; i < count; i++) {
      const reserved = await sql.reserve();
      reserved.release();
    }
  };
}

/** 3c. Borrow, run one statement, release, through `db.acquire()` and `await using`. */
export function acquireQueryOurs(db: PGConnection): Workload {
  let k = 0;
  return async (count) => {
    for (let i = 0; i < count; i++) {
      await using conn = await db.acquire();
      await conn.sql`SELECT ${k++ & 0xffff}::int AS n`;
    }
  };
}

/** 3d. The same through raw `sql.reserve()`, the statement, and `release()`. */
export function acquireQueryAnchor(sql: postgres.Sql): Workload {
  let k = 0;
  return async (count) => {
    for (let i = 0; i < count; i++) {
      const reserved = await sql.reserve();
      await reserved`SELECT ${k++ & 0xffff}::int AS n`;
      reserved.release();
    }
  };
}

/** What {@link selectByKey} measured. */
export interface LoadResult {
  /** Queries per second over the whole run. */
  qps: number;
  queries: number;
  /** Queries completed in each second of the run (the last may be partial and is dropped). */
  perSecond: number[];
}

/**
 * 4. `clients` concurrent loops of pgbench's select-only query (random `aid`)
 * on `sql` for `seconds`; returns queries per second.
 */
export async function selectByKey(
  sql: postgres.Sql,
  seconds: number,
  clients = 32,
): Promise<LoadResult> {
  let queries = 0;
  const buckets = new Array<number>(Math.ceil(seconds) + 1).fill(0);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      let now = t0;
      while (now < end) {
        const aid = 1 + Math.floor(Math.random() * ACCOUNTS);
        await sql`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid}`;
        now = performance.now();
        queries++;
        buckets[Math.floor((now - t0) / 1000)]++;
      }
    }),
  );
  return {
    qps: queries / ((performance.now() - t0) / 1000),
    queries,
    perSecond: buckets.slice(0, Math.floor(seconds)),
  };
}
