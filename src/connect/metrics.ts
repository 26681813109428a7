/**
 * Pool statistics in the Prometheus text exposition format (0.0.4).
 *
 * @module
 */
import type { PoolStats } from "./handle.ts";

/** One handle's statistics and labels. */
export interface MetricsSample {
  /** Labels (type, handle, target). */
  labels: Record<string, string>;
  /** Its statistics. */
  stats: PoolStats;
}

const GAUGES: [keyof PoolStats, string, string][] = [
  ["size", "pgmonkey_pool_connections", "Connections open now (lent out or not)."],
  ["idle", "pgmonkey_pool_connections_idle", "Open connections idle and not lent out."],
  ["inUse", "pgmonkey_pool_connections_in_use", "Connections lent out by transaction()/acquire()."],
  ["waiting", "pgmonkey_pool_waiting", "Callers and statements waiting for a connection."],
  ["minSize", "pgmonkey_pool_min_size", "Configured min_size."],
  ["maxSize", "pgmonkey_pool_max_size", "Configured max_size."],
];

const COUNTERS: [keyof PoolStats, string, string][] = [
  ["checkouts", "pgmonkey_pool_checkouts_total", "Connections lent out since creation."],
  ["timeouts", "pgmonkey_pool_timeouts_total", "PoolTimeoutErrors since creation."],
  ["replaced", "pgmonkey_pool_replaced_total", "Connections found dead or unusable and replaced."],
  ["opened", "pgmonkey_connections_opened_total", "Connections opened since creation."],
  ["closed", "pgmonkey_connections_closed_total", "Connections closed since creation."],
  ["failed", "pgmonkey_connection_attempts_failed_total", "Connection attempts that failed."],
];

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/**
 * The text for `samples` (one `# HELP`/`# TYPE` block per metric).
 *
 * @example
 * ```ts ignore
 * import { prometheusText } from "./metrics.ts";
 * console.log(prometheusText([{ labels: { type: "pool" }, stats: db.stats() }]));
 * ```
 */
export function prometheusText(samples: readonly MetricsSample[]): string {
  const lines: string[] = [];
  const block = (metrics: typeof GAUGES, kind: "gauge" | "counter") => {
    for (const [key, name, help] of metrics) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`);
      for (const s of samples) {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escape(v)}"`).join(",");
        lines.push(`${name}{${labels}} ${Number(s.stats[key] ?? 0)}`);
      }
    }
  };
  block(GAUGES, "gauge");
  block(COUNTERS, "counter");
  return lines.join("\n") + "\n";
}
