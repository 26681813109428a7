/**
 * A small SVG line chart for the benchmark's time series (queries per
 * second, one value per second): axes with round ticks, one polyline per
 * series, a legend. Pure: text in, text out; no browser or library needed.
 *
 * ```ts ignore
 * const svg = lineChart({
 *   title: "32 clients for 60 s",
 *   xLabel: "seconds",
 *   yLabel: "queries per second",
 *   series: [{ name: "ours", color: "#1f77b4", values: [41_000, 52_000, 51_500] }],
 * });
 * await Deno.writeTextFile("docs/bench_sustained.svg", svg);
 * ```
 *
 * @module
 */

/** One line of the chart: `values[i]` is the value during second `i` (plotted at `i + 0.5`). */
export interface Series {
  name: string;
  /** Any SVG colour. */
  color: string;
  values: readonly number[];
}

/** What {@link lineChart} draws. */
export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** A line of small print under the chart (machine, date…). */
  note?: string;
  /**
   * A second, low panel under the chart on the same time axis, from 0 to
   * `max` (e.g. the CPU other processes used meanwhile).
   */
  strip?: { label: string; max: number; series: readonly Series[] };
  width?: number;
  height?: number;
}

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Round tick values from 0 to at least `max` (steps of 1, 2 or 5 × 10ⁿ),
 * about `count` of them.
 */
export function niceTicks(max: number, count = 6): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= max) break;
  }
  return ticks;
}

/** `52,000` → `52k`, `1,500,000` → `1.5M`; small numbers as they are. */
export function shortNumber(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${Number((n / 1e6).toPrecision(3))}M`;
  if (abs >= 1e3) return `${Number((n / 1e3).toPrecision(3))}k`;
  return String(Number(n.toPrecision(3)));
}

const round = (n: number) => Math.round(n * 10) / 10;

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Grid, y ticks, the two axes and the lines of one panel; x positions from `x`. */
function drawPanel(
  out: string[],
  box: Box,
  series: readonly Series[],
  yTicks: number[],
  x: (seconds: number) => number,
  strokeWidth: number,
): void {
  const yTop = yTicks[yTicks.length - 1];
  const bottom = box.top + box.height;
  const y = (value: number) => round(bottom - (Math.min(value, yTop) / yTop) * box.height);
  for (const t of yTicks) {
    out.push(
      `<line x1="${box.left}" x2="${box.left + box.width}" y1="${y(t)}" y2="${y(t)}" ` +
        `stroke="#e0e0e0"/>`,
      `<text x="${box.left - 6}" y="${y(t) + 4}" text-anchor="end">${shortNumber(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${box.left}" x2="${box.left}" y1="${box.top}" y2="${bottom}" stroke="#333333"/>`,
    `<line x1="${box.left}" x2="${box.left + box.width}" y1="${bottom}" y2="${bottom}" ` +
      `stroke="#333333"/>`,
  );
  for (const s of series) {
    const pts = s.values
      .map((v, i) => (Number.isFinite(v) ? `${x(i + 0.5)},${y(v)}` : ""))
      .filter(Boolean)
      .join(" ");
    out.push(
      `<polyline fill="none" stroke="${escapeXml(s.color)}" stroke-width="${strokeWidth}" ` +
        `stroke-linejoin="round" points="${pts}"><title>${escapeXml(s.name)}</title></polyline>`,
    );
  }
}

/**
 * Where each legend entry goes: in rows from y = 40, 18 px apart, each entry
 * as wide as its text (about 6.5 px per character at 12 px), wrapping at the
 * plot's width.
 */
function legendRows(
  series: readonly Series[],
  left: number,
  width: number,
): { rows: number; at: { x: number; y: number }[] } {
  const at: { x: number; y: number }[] = [];
  let x = left;
  let row = 0;
  for (const s of series) {
    const w = 30 + s.name.length * 6.5 + 18;
    if (x > left && x + w - 18 > left + width) {
      row++;
      x = left;
    }
    at.push({ x: round(x), y: 40 + 18 * row });
    x += w;
  }
  return { rows: row + 1, at };
}

/** Renders the chart as a standalone SVG document. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const stripH = spec.strip ? 64 : 0;
  const stripGap = spec.strip ? 34 : 0;
  const left = 70;
  const plotW = width - left - 20;
  const legend = legendRows(spec.series, left, plotW);
  const top = 40 + 18 * legend.rows;
  const mainH = (spec.height ?? 380) - 58 - 52 - (spec.note ? 18 : 0);
  const height = top + mainH + stripGap + stripH + 52 + (spec.note ? 18 : 0);
  const main: Box = { left, top, width: plotW, height: mainH };
  const strip: Box = { left, top: main.top + mainH + stripGap, width: plotW, height: stripH };
  const lowest = spec.strip ? strip : main;
  const all = [...spec.series, ...(spec.strip?.series ?? [])];
  const points = Math.max(1, ...all.map((s) => s.values.length));
  // 5 % headroom, so that a line at the maximum does not run along the frame.
  const yMax = 1.05 * Math.max(0, ...spec.series.flatMap((s) => s.values.filter(Number.isFinite)));
  const xTicks = niceTicks(points, 7).filter((t) => t <= points);
  const x = (seconds: number) => round(left + (seconds / points) * plotW);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">` +
    `${escapeXml(spec.title)}</text>`,
  ];
  drawPanel(out, main, spec.series, niceTicks(yMax), x, 2);
  out.push(
    `<text transform="translate(16 ${main.top + mainH / 2}) rotate(-90)" ` +
      `text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  );
  if (spec.strip) {
    const s = spec.strip;
    drawPanel(out, strip, s.series, [0, s.max / 2, s.max], x, 1.2);
    out.push(
      `<text x="${left}" y="${strip.top - 8}" font-size="11" fill="#333333">` +
        `${escapeXml(s.label)}</text>`,
    );
  }
  const bottom = lowest.top + lowest.height;
  for (const t of xTicks) {
    out.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${bottom}" y2="${bottom + 5}" stroke="#333333"/>`,
      `<text x="${x(t)}" y="${bottom + 18}" text-anchor="middle">${t}</text>`,
    );
  }
  out.push(
    `<text x="${left + plotW / 2}" y="${bottom + 36}" text-anchor="middle">` +
      `${escapeXml(spec.xLabel)}</text>`,
  );
  // The legend: between the title and the plot, so it never hides a line.
  spec.series.forEach((s, i) => {
    const { x: lx, y: ly } = legend.at[i];
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${escapeXml(s.color)}" ` +
        `stroke-width="3"/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  if (spec.note) {
    out.push(
      `<text x="${left}" y="${height - 10}" font-size="10" fill="#555555">` +
        `${escapeXml(spec.note)}</text>`,
    );
  }
  out.push("</svg>", "");
  return out.join("\n");
}
