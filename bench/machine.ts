/**
 * How quiet the machine was while the benchmark ran: samples `/proc` once a
 * second and splits the CPU time used into this benchmark's own process tree
 * (this process, the PostgreSQL server, pgbench, PgBouncer, the HTTP
 * services…) and everything else (other users' test suites, builds, kernel
 * threads). On 2 shared cores, "others used 0.6 cores" explains a slow round
 * better than any spread.
 *
 * A process that starts and ends between two samples is not seen (its time
 * is in the machine's total, not in either share); on Linux only (elsewhere
 * the monitor reports nothing).
 *
 * ```ts ignore
 * const monitor = new CpuMonitor();
 * monitor.start();
 * const result = await monitor.phase("32 clients", () => work());
 * console.log(monitor.summary());
 * monitor.stop();
 * ```
 *
 * @module
 */

/** One process's accumulated CPU time, from `/proc/<pid>/stat`. */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** Start time since boot (clock ticks): tells a reused pid apart. */
  start: number;
  /** utime + stime, clock ticks. */
  ticks: number;
}

/**
 * Parses a `/proc/<pid>/stat` line (the command name in parentheses may
 * itself contain blanks and parentheses); undefined when it is not one.
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const close = line.lastIndexOf(")");
  if (close < 0) return undefined;
  const pid = Number(line.slice(0, line.indexOf(" ")));
  // Fields after the name, numbered from 3 (state) as in proc(5).
  const f = line.slice(close + 2).split(" ");
  const field = (n: number) => Number(f[n - 3]);
  const out = { pid, ppid: field(4), start: field(22), ticks: field(14) + field(15) };
  return Object.values(out).every(Number.isFinite) ? out : undefined;
}

/** CPU use during one interval, in cores (1 = one core busy all the time). */
export interface CpuShare {
  /** This benchmark's process tree. */
  ours: number;
  /** Every other process. */
  others: number;
}

/**
 * The CPU use between two snapshots taken `seconds` apart: each process
 * seen in both (same pid and start time) counts for its own tree.
 */
export function shareBetween(
  before: readonly ProcStat[],
  after: readonly ProcStat[],
  root: number,
  seconds: number,
  ticksPerSecond = 100,
): CpuShare {
  const earlier = new Map(before.map((p) => [p.pid, p]));
  const parent = new Map(after.map((p) => [p.pid, p.ppid]));
  const mine = (pid: number) => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 64; hops++) {
      if (p === root) return true;
      p = parent.get(p);
    }
    return false;
  };
  let ours = 0;
  let others = 0;
  for (const p of after) {
    const e = earlier.get(p.pid);
    if (!e || e.start !== p.start) continue;
    const d = p.ticks - e.ticks;
    if (mine(p.pid)) ours += d;
    else others += d;
  }
  const scale = 1 / (ticksPerSecond * seconds);
  return { ours: ours * scale, others: others * scale };
}

function snapshot(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const c = entry.name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const p = parseProcStat(Deno.readTextFileSync(`/proc/${entry.name}/stat`));
      if (p) out.push(p);
    } catch { /* the process ended meanwhile */ }
  }
  return out;
}

/** What {@link CpuMonitor.phase} records. */
export interface PhaseLoad extends CpuShare {
  label: string;
  seconds: number;
  /** Highest one-second `others` value seen in the phase. */
  othersPeak: number;
}

/** See the module documentation. */
export class CpuMonitor {
  readonly #root = Deno.pid;
  readonly #enabled = Deno.build.os === "linux";
  #timer: ReturnType<typeof setInterval> | undefined;
  #last: { at: number; procs: ProcStat[] } | undefined;
  readonly #samples: { at: number; seconds: number; share: CpuShare }[] = [];
  readonly #phases: PhaseLoad[] = [];

  /** Starts sampling once a second (the timer does not keep the process alive). */
  start(): void {
    if (!this.#enabled || this.#timer !== undefined) return;
    this.#sample();
    const timer = setInterval(() => this.#sample(), 1000);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Stops sampling. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sample(): void {
    const at = performance.now();
    const procs = snapshot();
    if (this.#last) {
      const seconds = (at - this.#last.at) / 1000;
      const share = shareBetween(this.#last.procs, procs, this.#root, seconds);
      this.#samples.push({ at, seconds, share });
    }
    this.#last = { at, procs };
  }

  /** Runs `fn` and records the machine's load while it ran under `label`. */
  async phase<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      const t1 = performance.now();
      this.#sample();
      // Intervals ending inside the phase, weighted by their length.
      const inside = this.#samples.filter((s) => s.at > t0);
      const total = inside.reduce((a, s) => a + s.seconds, 0);
      if (total > 0) {
        const mean = (k: keyof CpuShare) =>
          inside.reduce((a, s) => a + s.share[k] * s.seconds, 0) / total;
        this.#phases.push({
          label,
          seconds: (t1 - t0) / 1000,
          ours: mean("ours"),
          others: mean("others"),
          othersPeak: Math.max(
            0,
            ...inside.filter((s) => s.seconds >= 0.5).map((s) => s.share.others),
          ),
        });
      }
    }
  }

  /**
   * CPU used by other processes during each second of `[t0, t0 + seconds)`
   * (`t0` a `performance.now()` value): the sample ending in that second, or
   * NaN where there is none.
   */
  othersDuring(t0: number, seconds: number): number[] {
    const out = new Array<number>(seconds).fill(NaN);
    for (const s of this.#samples) {
      const i = Math.floor((s.at - t0) / 1000 - 1e-3);
      if (i >= 0 && i < seconds && s.seconds >= 0.5) out[i] = s.share.others;
    }
    return out;
  }

  /** The phases recorded so far. */
  get phases(): readonly PhaseLoad[] {
    return this.#phases;
  }

  /**
   * One line for the whole run and one per phase of at least `minSeconds`:
   * cores used by the benchmark and by other processes (mean, and the
   * highest one-second value of the others).
   */
  summary(minSeconds = 2): string[] {
    const all = this.#samples.filter((s) => s.seconds >= 0.5);
    const total = all.reduce((a, s) => a + s.seconds, 0);
    const line = (label: string, p: Omit<PhaseLoad, "label">) =>
      `${label}: ${p.seconds.toFixed(0)} s; benchmark ${p.ours.toFixed(2)} cores, ` +
      `other processes ${p.others.toFixed(2)} cores (peak ${p.othersPeak.toFixed(2)})`;
    const whole = total > 0
      ? [line("whole run", {
        seconds: total,
        ours: all.reduce((a, s) => a + s.share.ours * s.seconds, 0) / total,
        others: all.reduce((a, s) => a + s.share.others * s.seconds, 0) / total,
        othersPeak: Math.max(0, ...all.map((s) => s.share.others)),
      })]
      : [];
    return [
      ...whole,
      ...this.#phases.filter((p) => p.seconds >= minSeconds).map((p) => line(p.label, p)),
    ];
  }
}
