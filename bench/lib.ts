/**
 * Helpers of the query-path benchmark (`deno task bench`): summary
 * statistics, interleaved ours/anchor timing, child processes, and the
 * markdown table.
 *
 * @module
 */
import process from "node:process";

/** Median of `xs` (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Arithmetic mean of `xs` (NaN when empty). */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The `p`-quantile (0..1) of `xs`, nearest rank. */
export function quantile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** Summary of repeated measurements of one side of a case. */
export interface Summary {
  /** Every round's value, in run order. */
  values: number[];
  median: number;
  min: number;
  max: number;
}

/** Summarises per-round values. */
export function summarize(values: number[]): Summary {
  return { values, median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Spread of a summary as ± half its range, in % of its median. */
export function spreadPct(s: Summary): number {
  return s.median > 0 ? ((s.max - s.min) / 2 / s.median) * 100 : NaN;
}

/** One side of a paired case: runs `count` operations, returns nothing. */
export type Workload = (count: number) => Promise<void>;

/** Result of {@link interleave}: operations per second per round, for both sides. */
export interface PairedResult {
  ours: Summary;
  anchor: Summary;
  /** Per-round ratio ours/anchor (both sides of a round ran interleaved; see {@link interleave}). */
  ratios: Summary;
  /**
   * This process's CPU time (user + system) per operation, µs, over all rounds: the
   * client-side cost of each side, much less sensitive to scheduling than wall time.
   */
  cpuPerOp?: { ours: number; anchor: number };
}

/**
 * Times `ops` operations of each side per round, for `rounds` rounds. Inside
 * a round the two sides alternate in `blocks` blocks (ABBA order), so both
 * see the same machine load (the database server shares the cores); a side's
 * round throughput is from the sum of its blocks. The round's ratio is the
 * median over its block pairs (the two blocks of a pair ran back to back) of
 * anchor time / ours time, so that a burst of other work on the machine
 * during one block does not decide it. Each side first runs `warmup`
 * untimed operations.
 */
export async function interleave(
  sides: { ours: Workload; anchor: Workload },
  opts: { ops: number; rounds: number; blocks: number; warmup: number },
  onRound?: (round: number, ours: number, anchor: number, ratio: number) => void,
): Promise<PairedResult> {
  await sides.anchor(opts.warmup);
  await sides.ours(opts.warmup);
  const perBlock = Math.ceil(opts.ops / opts.blocks);
  const ours: number[] = [];
  const anchor: number[] = [];
  const ratios: number[] = [];
  const cpu = { ours: 0, anchor: 0 };
  for (let r = 0; r < opts.rounds; r++) {
    const ms = { ours: 0, anchor: 0 };
    const pairs: number[] = [];
    let done = 0;
    for (let b = 0; done < opts.ops; b++) {
      const n = Math.min(perBlock, opts.ops - done);
      const order = (b + r) % 2 === 0
        ? (["ours", "anchor"] as const)
        : (["anchor", "ours"] as const);
      const block = { ours: 0, anchor: 0 };
      for (const side of order) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await sides[side](n);
        block[side] = performance.now() - t0;
        const c = process.cpuUsage(c0);
        cpu[side] += c.user + c.system;
      }
      ms.ours += block.ours;
      ms.anchor += block.anchor;
      pairs.push(block.anchor / block.ours);
      done += n;
    }
    ours.push(opts.ops / (ms.ours / 1000));
    anchor.push(opts.ops / (ms.anchor / 1000));
    ratios.push(median(pairs));
    onRound?.(r + 1, ours[r], anchor[r], ratios[r]);
  }
  return {
    ours: summarize(ours),
    anchor: summarize(anchor),
    ratios: summarize(ratios),
    cpuPerOp: {
      ours: cpu.ours / (opts.ops * opts.rounds),
      anchor: cpu.anchor / (opts.ops * opts.rounds),
    },
  };
}

/**
 * Runs each side once per round, `rounds` rounds, the starting side moving
 * one place every round (A B, B A, … for two sides), so that every side
 * meets the machine's changing load in every position. Each side's `run`
 * returns its throughput for that round. Ratios are against the first side.
 */
export async function interleaveRuns<K extends string>(
  sides: Record<K, () => Promise<number>>,
  rounds: number,
  onRound?: (round: number, values: Record<K, number>) => void,
): Promise<{ values: Record<K, Summary>; ratios: Record<K, Summary> }> {
  const names = Object.keys(sides) as K[];
  const got = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const k = names[(r + i) % names.length];
      got[k].push(await sides[k]());
    }
    onRound?.(
      r + 1,
      Object.fromEntries(names.map((k) => [k, got[k][r]])) as Record<K, number>,
    );
  }
  const base = got[names[0]];
  const values = {} as Record<K, Summary>;
  const ratios = {} as Record<K, Summary>;
  for (const k of names) {
    values[k] = summarize(got[k]);
    ratios[k] = summarize(got[k].map((v, i) => v / base[i]));
  }
  return { values, ratios };
}

/** Output of a finished child process. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  ms: number;
}

/** Runs a command to completion and times it. */
export async function run(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<ProcessResult> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env: options.env,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), ms };
}

/** Like {@link run}, but throws (with its output) when the command fails. */
export async function runOk(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<ProcessResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${r.code}\n${r.stdout}${r.stderr}`);
  }
  return r;
}

/** Whether `cmd` is on the PATH. */
export async function onPath(cmd: string): Promise<boolean> {
  try {
    return (await run("sh", ["-c", `command -v ${cmd}`])).code === 0;
  } catch {
    return false;
  }
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** `median (min–max)` of a summary. */
export function fmtSummary(s: Summary, digits = 0, unit = ""): string {
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** A markdown table, columns padded so it also reads well on a terminal. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (c ?? "").padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)]
    .join("\n");
}
