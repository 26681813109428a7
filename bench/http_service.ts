/**
 * The HTTP service of the benchmark's service case, run as its own process
 * by `bench/http.ts`: `Deno.serve` on 127.0.0.1 (a free port, printed as
 * `listening PORT`), answering `GET /account/N` with the `abalance` of
 * `pgbench_accounts` row N as JSON. The database side is either a pgmonkey
 * `async_pool` (from a config file) or raw postgres.js with the same pool
 * size; everything else is the same code. It stops when its stdin closes.
 *
 * ```sh
 * deno run -A bench/http_service.ts ours CONFIG.yaml
 * deno run -A bench/http_service.ts raw '{"host":…,"port":…,…}'   # a BenchTarget as JSON
 * ```
 *
 * @module
 */
import type postgres from "postgres";
import { PGConnectionManager } from "../mod.ts";
import { anchorSql, type BenchTarget, CONCURRENT_POOL_SIZE } from "./cases.ts";

const [side, arg] = Deno.args;
const manager = new PGConnectionManager();
let sql: postgres.Sql;
if (side === "ours") {
  sql = (await manager.getDatabaseConnection(arg, "async_pool")).sql;
} else if (side === "raw") {
  sql = await anchorSql(JSON.parse(arg) as BenchTarget, CONCURRENT_POOL_SIZE, { warm: true });
} else {
  throw new Error(`usage: http_service.ts ours CONFIG | raw TARGET_JSON (got ${side})`);
}

const PREFIX = "/account/";
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`listening ${port}`),
}, async (request) => {
  const path = new URL(request.url).pathname;
  const aid = Number(path.slice(PREFIX.length));
  if (!path.startsWith(PREFIX) || !Number.isInteger(aid)) {
    return new Response("not found", { status: 404 });
  }
  const [row] = await sql`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid}`;
  return Response.json(row ?? null);
});

// The parent ends the service by closing our stdin.
for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
await server.shutdown();
if (side === "ours") await manager.clearCache(1);
else await sql.end({ timeout: 1 });
