/**
 * The query-path benchmark's result table: rows (ours, anchor, ratio,
 * target, verdict), the per-round values behind them, and the generated
 * block of docs/BENCHMARKS.md between the `bench:begin`/`bench:end` markers.
 *
 * @module
 */
import { fmt, fmtSummary, markdownTable, type PairedResult, type Summary } from "./lib.ts";

/** One row of the table. */
export interface Row {
  name: string;
  ours: string;
  anchor: string;
  ratio: string;
  target: string;
  status: string;
}

/** `OK`/`BELOW` for a target, `report` without one. */
export function status(ok: boolean | undefined): string {
  return ok === undefined ? "report" : ok ? "OK" : "BELOW";
}

/** `1.149× (rounds 0.88–1.37)`: the median of per-round ratios and their range. */
export function fmtRatio(ratios: Summary): string {
  return `${ratios.median.toFixed(3)}× (rounds ${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)})`;
}

/** Rows and per-round details, in the order the cases ran. */
export class Report {
  readonly rows: Row[] = [];
  readonly details: string[] = [];

  /** Adds a row. */
  add(row: Row): Row {
    this.rows.push(row);
    return row;
  }

  /** Adds a detail line (per-round values, side facts). */
  detail(line: string): void {
    this.details.push(`- ${line}`);
  }

  /**
   * Adds the row of a paired case: ratio = median of per-round ratios (both
   * sides of a round ran interleaved under the same load, which other
   * processes on the machine change from round to round).
   */
  paired(name: string, r: PairedResult, target: number | undefined, unit = "ops/s"): Row {
    const ratio = r.ratios.median;
    this.detail(
      `${name}: ours ${r.ours.values.map((v) => fmt(v)).join(", ")}; ` +
        `anchor ${r.anchor.values.map((v) => fmt(v)).join(", ")} ${unit}`,
    );
    return this.add({
      name,
      ours: `${fmtSummary(r.ours)} ${unit}`,
      anchor: `${fmtSummary(r.anchor)} ${unit}`,
      ratio: fmtRatio(r.ratios) +
        (r.cpuPerOp
          ? `; client CPU/op ${r.cpuPerOp.ours.toFixed(1)} vs ${r.cpuPerOp.anchor.toFixed(1)} µs`
          : ""),
      target: target === undefined ? "report" : `≥ ${target.toFixed(2)}×`,
      status: status(target === undefined ? undefined : ratio >= target),
    });
  }

  /** The markdown table. */
  table(): string {
    return markdownTable(
      [
        "case",
        "ours: median (min–max)",
        "anchor: median (min–max)",
        "ratio ours/anchor",
        "target",
        "",
      ],
      this.rows.map((r) => [r.name, r.ours, r.anchor, r.ratio, r.target, r.status]),
    );
  }
}

/** A per-round progress logger for paired cases. */
export function roundLogger(log: (line: string) => void, label: string, unit = "ops/s") {
  return (round: number, ours: number, anchor: number, ratio = ours / anchor): void =>
    log(
      `  ${label} round ${round}: ours ${fmt(ours)} ${unit}, anchor ${fmt(anchor)} ${unit}, ` +
        `ratio ${ratio.toFixed(3)}`,
    );
}

/**
 * Replaces the text between the `<!-- bench:begin … -->` and
 * `<!-- bench:end -->` markers of `doc` with `generated` (which carries its
 * own markers); appends it when the markers are missing.
 */
export function replaceGenerated(doc: string, generated: string): string {
  const begin = doc.indexOf("<!-- bench:begin");
  const endMarker = "<!-- bench:end -->";
  const end = doc.indexOf(endMarker);
  return begin >= 0 && end > begin
    ? doc.slice(0, begin) + generated + doc.slice(end + endMarker.length)
    : `${doc.trimEnd()}\n\n${generated}\n`;
}
