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
import { parseProcStat } from "./machine.ts";

const SERVICE = new URL("./http_service.ts", import.meta.url).pathname;

/** A running service process. */
interface Service {
  port: number;
  /** CPU time the process has used so far, µs (NaN where /proc is unavailable). */
  cpuMicros(): number;
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
    cpuMicros: () => {
      try {
        const stat = parseProcStat(Deno.readTextFileSync(`/proc/${child.pid}/stat`));
        return stat ? stat.ticks * 10_000 : NaN; // 100 clock ticks per second
      } catch {
        return NaN;
      }
    },
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
    // A round is a fraction of a second here: four times the usual rounds, and a warm-up long
    // enough for both services' JIT (our layer has more code to optimise).
    const rounds = 4 * ctx.rounds;
    log(`HTTP service: 32 clients × ${fmt(requests)} requests per side, ${rounds} rounds`);
    for (let i = 0; i < 2; i++) {
      await httpLoad(raw.port, requests);
      await httpLoad(ours.port, requests);
    }
    const cpu = { ours: 0, raw: 0 };
    const measured = (side: "ours" | "raw", service: Service) => async () => {
      const c0 = service.cpuMicros();
      const rate = await httpLoad(service.port, requests);
      cpu[side] += service.cpuMicros() - c0;
      return rate;
    };
    const r = await interleaveRuns(
      { raw: measured("raw", raw), ours: measured("ours", ours) },
      rounds,
      (round, v) =>
        log(
          `  http round ${round}: ours ${fmt(v.ours)} req/s, raw ${fmt(v.raw)} req/s, ` +
            `ratio ${(v.ours / v.raw).toFixed(3)}`,
        ),
    );
    const row = ctx.report.paired(
      `HTTP service (\`Deno.serve\`, one process per side), 32 concurrent clients, ` +
        `${fmt(requests)} requests per round (\`async_pool\` max 8 / raw postgres.js \`max: 8\`)`,
      { ours: r.values.ours, anchor: r.values.raw, ratios: r.ratios.ours },
      1.0,
      "req/s",
    );
    const perRequest = (side: "ours" | "raw") => cpu[side] / (rounds * requests);
    if (Number.isFinite(perRequest("ours"))) {
      row.ratio += `; service CPU/request ${perRequest("ours").toFixed(1)} vs ` +
        `${perRequest("raw").toFixed(1)} µs`;
    }
  } finally {
    await Promise.all([ours.stop(), raw.stop()]);
  }
}
