// The benchmark's pure helpers (bench/): the SVG chart, the /proc CPU accounting, pgbench's
// output, the decay windows, the interleaving order and the generated block of BENCHMARKS.md.
// No server and no timing: these check what the benchmark computes from its measurements.
import assert from "node:assert/strict";
import { escapeXml, lineChart, niceTicks, shortNumber } from "../../bench/chart.ts";
import { parseProcStat, type ProcStat, shareBetween } from "../../bench/machine.ts";
import { parsePgbenchProgress, parsePgbenchTps } from "../../bench/pgbench.ts";
import { decay, pooledDecay, windowRate } from "../../bench/load.ts";
import { interleaveRuns, mean } from "../../bench/lib.ts";
import { replaceGenerated } from "../../bench/report.ts";

Deno.test("niceTicks: round steps from 0 to at least the maximum", () => {
  assert.deepEqual(niceTicks(60, 7), [0, 10, 20, 30, 40, 50, 60]);
  assert.deepEqual(niceTicks(52_000), [0, 20_000, 40_000, 60_000]);
  assert.deepEqual(niceTicks(0.9, 4), [0, 0.5, 1]);
  assert.deepEqual(niceTicks(0), [0, 1]);
  assert.deepEqual(niceTicks(NaN), [0, 1]);
});

Deno.test("shortNumber and escapeXml", () => {
  assert.equal(shortNumber(52_000), "52k");
  assert.equal(shortNumber(1_500_000), "1.5M");
  assert.equal(shortNumber(0.5), "0.5");
  assert.equal(escapeXml(`a<b & "c"`), "a&#60;b &#38; &#34;c&#34;");
});

Deno.test("lineChart: one polyline per series, a legend, the strip panel, escaped text", () => {
  const svg = lineChart({
    title: "q/s <over> time",
    xLabel: "seconds",
    yLabel: "queries per second",
    series: [
      { name: "ours & co", color: "#1f6fb4", values: [10, 20, 30] },
      { name: "raw", color: "#d9541e", values: [30, NaN, 10] },
    ],
    strip: { label: "others", max: 2, series: [{ name: "cpu", color: "#888", values: [0.1, 3] }] },
    note: "machine",
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  const polylines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]);
  assert.equal(polylines.length, 3);
  assert.equal(polylines[0].split(" ").length, 3);
  assert.equal(polylines[1].split(" ").length, 2, "a NaN value is left out of its line");
  assert.ok(svg.includes("q/s &#60;over&#62; time") && svg.includes("ours &#38; co"));
  assert.ok(!svg.includes("<over>"));
  // Every coordinate is a finite number inside the picture.
  const [w, h] = [...svg.matchAll(/viewBox="0 0 (\d+) (\d+)"/g)][0].slice(1).map(Number);
  for (const line of polylines) {
    for (const point of line.split(" ")) {
      const [x, y] = point.split(",").map(Number);
      assert.ok(x >= 0 && x <= w && y >= 0 && y <= h, point);
    }
  }
});

Deno.test("parseProcStat reads pid, parent, start time and CPU ticks, also with odd names", () => {
  const fields = (name: string) =>
    `4242 (${name}) S 17 4242 4242 0 -1 4194560 900 0 0 0 125 37 0 0 20 0 3 0 8123 1000 1 0`;
  assert.deepEqual(parseProcStat(fields("deno")), { pid: 4242, ppid: 17, start: 8123, ticks: 162 });
  assert.deepEqual(parseProcStat(fields("a (b) c")), {
    pid: 4242,
    ppid: 17,
    start: 8123,
    ticks: 162,
  });
  assert.equal(parseProcStat("garbage"), undefined);
});

Deno.test("shareBetween splits CPU into our process tree and the rest, skipping reused pids", () => {
  const p = (pid: number, ppid: number, ticks: number, start = 1): ProcStat => ({
    pid,
    ppid,
    start,
    ticks,
  });
  const before = [
    p(1, 0, 0),
    p(10, 1, 100),
    p(11, 10, 50),
    p(12, 11, 0),
    p(20, 1, 10),
    p(30, 1, 5),
  ];
  const after = [
    p(1, 0, 0),
    p(10, 1, 150), // us: +50
    p(11, 10, 80), // our child: +30
    p(12, 11, 20), // our grandchild: +20
    p(20, 1, 110), // someone else: +100
    p(30, 1, 900, 2), // pid reused by a new process: not counted
    p(40, 1, 70), // new since the last sample: not counted
  ];
  assert.deepEqual(shareBetween(before, after, 10, 2, 100), { ours: 0.5, others: 0.5 });
});

Deno.test("pgbench output: final tps and -P 1 progress lines", () => {
  const stdout = "number of failed transactions: 0 (0.000%)\n" +
    "latency average = 0.170 ms\ninitial connection time = 5.101 ms\n" +
    "tps = 46873.512034 (without initial connection time)\n";
  assert.equal(parsePgbenchTps(stdout), 46873.512034);
  assert.throws(() => parsePgbenchTps("nothing"), /cannot read pgbench's tps/);
  const stderr =
    "pgbench (15.18)\nprogress: 1.0 s, 41234.5 tps, lat 0.191 ms stddev 0.050, 0 failed\n" +
    "progress: 2.0 s, 45000.0 tps, lat 0.177 ms stddev 0.044, 0 failed\n";
  assert.deepEqual(parsePgbenchProgress(stderr), [41234.5, 45000]);
});

Deno.test("decay compares the first and the last 10 seconds of a per-second series", () => {
  const flat = Array.from({ length: 60 }, () => 50_000);
  assert.deepEqual(decay(flat), { first: 50_000, last: 50_000, ratio: 1 });
  const falling = Array.from({ length: 60 }, (_, i) => 60_000 - i * 1000);
  const d = decay(falling);
  assert.equal(d.first, 55_500);
  assert.equal(d.last, 5_500);
  assert.equal(windowRate(falling, 0, 2), 59_500);
  // Two runs together: a step down at the end of one is weighed against the other's start.
  const stepDown = [...Array(50).fill(70_000), ...Array(10).fill(62_000)];
  const stepUp = [...Array(10).fill(64_000), ...Array(50).fill(70_000)];
  assert.ok(decay(stepDown).ratio < 0.9);
  assert.deepEqual(pooledDecay([stepDown, stepUp]), {
    first: 67_000,
    last: 66_000,
    ratio: 66 / 67,
  });
  assert.ok(Number.isNaN(mean([])));
});

Deno.test("interleaveRuns moves the starting side every round; ratios are against the first", async () => {
  const order: string[] = [];
  const side = (name: string, value: number) => () => {
    order.push(name);
    return Promise.resolve(value);
  };
  const r = await interleaveRuns({ a: side("a", 10), b: side("b", 20), c: side("c", 5) }, 3);
  assert.deepEqual(order, ["a", "b", "c", "b", "c", "a", "c", "a", "b"]);
  assert.equal(r.ratios.b.median, 2);
  assert.equal(r.ratios.c.median, 0.5);
  assert.deepEqual(r.values.a.values, [10, 10, 10]);
});

Deno.test("replaceGenerated swaps the marked block and keeps the rest", () => {
  const doc = "intro\n<!-- bench:begin (x) -->\nold\n<!-- bench:end -->\nnotes\n";
  const block = "<!-- bench:begin (y) -->\nnew\n<!-- bench:end -->";
  assert.equal(replaceGenerated(doc, block), `intro\n${block}\nnotes\n`);
  assert.equal(replaceGenerated("intro\n", block), `intro\n\n${block}\n`);
});
