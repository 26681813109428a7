/**
 * The service case of the query-path benchmark: the same small `Deno.serve`
 * HTTP service (`bench/http_service.ts`, one process each) on a pgmonkey
 * `async_pool` (max 8) and on raw postgres.js (`max: 8`), both running at
 * once; this process is the load generator, 32 concurrent clients (`fetch`,
 * keep-alive) sending `requests` requests to one service, then the other,
 * alternating which goes first, for several rounds.
 *
 * @module
 */
import { ACCOUNTS, CONCURRENT_POOL_SIZE, writeConfig } from "./cases.ts";
import type { BenchContext } from "./context.ts";
import { fmt, interleaveRuns } from "./lib.ts";

const SERVICE = new URL("./http_service.ts", import.meta.url).pathname;

/** A running service process. */
interface Service {
  port: number;
  stop(): Promise<void>;
}

async function startService(side: "ours" | "raw", arg: string): Promise<Service> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVICE, side, arg],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Read up to the "listening PORT" line, then let the rest of stdout drain.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port = 0;
  while (!port) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the ${side} HTTP service ended before it listened:\n${text}`);
    text += value;
    const m = /^listening (\d+)$/m.exec(text);
    if (m) port = Number(m[1]);
  }
  void (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  return {
    port,
    stop: async () => {
      await child.stdin.close().catch(() => {});
      await child.status;
    },
  };
}

/** Sends `requests` requests from `clients` concurrent loops; returns requests per second. */
export async function httpLoad(port: number, requests: number, clients = 32): Promise<number> {
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (sent < requests) {
      sent++;
      const aid = 1 + Math.floor(Math.random() * ACCOUNTS);
      const response = await fetch(`http://127.0.0.1:${port}/account/${aid}`);
      if (!response.ok) throw new Error(`HTTP ${response.status} from the service on ${port}`);
      await response.json();
    }
  }));
  return requests / ((performance.now() - t0) / 1000);
}

/** The service case (see the module documentation). */
export async function httpCase(ctx: BenchContext, requests = 4_000): Promise<void> {
  const { log, target } = ctx;
  const file = await writeConfig(target, "http", {
    type: "async_pool",
    minSize: CONCURRENT_POOL_SIZE,
    maxSize: CONCURRENT_POOL_SIZE,
  });
  const [ours, raw] = await Promise.all([
    startService("ours", file),
    startService("raw", JSON.stringify(target)),
  ]);
  try {
    log(`HTTP service: 32 clients × ${fmt(requests)} requests per side, ${ctx.rounds} rounds`);
    await httpLoad(raw.port, 1_000); // warm-up of both processes' JIT
    await httpLoad(ours.port, 1_000);
    const r = await interleaveRuns(
      {
        raw: () => httpLoad(raw.port, requests),
        ours: () => httpLoad(ours.port, requests),
      },
      ctx.rounds,
      (round, v) =>
        log(
          `  http round ${round}: ours ${fmt(v.ours)} req/s, raw ${fmt(v.raw)} req/s, ` +
            `ratio ${(v.ours / v.raw).toFixed(3)}`,
        ),
    );
    ctx.report.paired(
      `HTTP service (\`Deno.serve\`, one process per side), 32 concurrent clients, ` +
        `${fmt(requests)} requests per round (\`async_pool\` max 8 / raw postgres.js \`max: 8\`)`,
      { ours: r.values.ours, anchor: r.values.raw, ratios: r.ratios.ours },
      1.0,
      "req/s",
    );
  } finally {
    await Promise.all([ours.stop(), raw.stop()]);
  }
}
