/**
 * Summarises a V8 `.cpuprofile` (as written by `deno run --cpu-prof`): time
 * by area (our src/, postgres.js, Deno's node compat, runtime, GC…), the
 * functions with the most self time, and the inclusive time of our own
 * functions.
 *
 * ```sh
 * deno run -A bench/cpuprofile.ts PROFILE.cpuprofile [top=25]
 * deno run -A bench/cpuprofile.ts PROFILE.cpuprofile --callers op_get_env 4
 * ```
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of a `.cpuprofile` used here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One function's share. */
export interface FunctionTime {
  name: string;
  where: string;
  area: string;
  selfMs: number;
  totalMs: number;
}

/** What {@link summarizeProfile} finds. */
export interface ProfileSummary {
  /** Sampled time, ms (idle included). */
  sampledMs: number;
  /** Time the main thread was busy (not `(idle)`), ms. */
  busyMs: number;
  /** Busy time by area, ms, largest first. */
  areas: [string, number][];
  /** Every function, by self time, largest first. */
  functions: FunctionTime[];
}

const REPO = new URL("..", import.meta.url).href;

/** Which part of the stack a frame belongs to. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "(program): native/VM outside JS";
    return "native/builtins";
  }
  if (url.includes("/postgres@") || url.includes("/postgres/src/")) return "postgres.js";
  const npm = url.match(/\/node_modules\/(?:\.deno\/([^/]+)\/)?/);
  if (npm) return `npm:${npm[1] ?? url.split("/node_modules/")[1].split("/")[0]}`;
  if (url.startsWith(REPO)) {
    const rel = url.slice(REPO.length);
    if (rel.startsWith("src/")) return rel;
    return rel.split("/")[0] + "/ (bench harness)";
  }
  if (url.startsWith("ext:deno_node") || url.startsWith("node:")) {
    return "Deno node compat (ext:deno_node)";
  }
  if (url.startsWith("ext:")) return `Deno runtime (${url.slice(4).split("/")[0]})`;
  return url.replace(/^file:\/\/\/.*node_modules\//, "npm: ");
}

function where(frame: CallFrame): string {
  const url = frame.url.startsWith(REPO) ? frame.url.slice(REPO.length) : frame.url
    .replace(/^file:\/\/\/.*\/node_modules\/(?:\.deno\/[^/]+\/node_modules\/)?/, "");
  return url ? `${url}:${frame.lineNumber + 1}` : "";
}

/** Self and inclusive time per function, and busy time per area. */
export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const keyOf = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"}\u0000${where(n.callFrame)}`;
  const fns = new Map<string, FunctionTime>();
  const fn = (n: ProfileNode) => {
    const key = keyOf(n);
    let f = fns.get(key);
    if (!f) {
      f = {
        name: n.callFrame.functionName || "(anonymous)",
        where: where(n.callFrame),
        area: areaOf(n.callFrame),
        selfMs: 0,
        totalMs: 0,
      };
      fns.set(key, f);
    }
    return f;
  };
  const areas = new Map<string, number>();
  let sampled = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000; // a sample lasts until the next one
    const leaf = byId.get(profile.samples[i]);
    if (!leaf) continue;
    sampled += ms;
    const area = areaOf(leaf.callFrame);
    if (area === "idle") {
      idle += ms;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + ms);
    fn(leaf).selfMs += ms;
    const seen = new Set<FunctionTime>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const f = fn(byId.get(id)!);
      if (!seen.has(f)) {
        seen.add(f);
        f.totalMs += ms;
      }
    }
  }
  return {
    sampledMs: sampled,
    busyMs: sampled - idle,
    areas: [...areas.entries()].sort((a, b) => b[1] - a[1]),
    functions: [...fns.values()].filter((f) => f.area !== "idle" && f.name !== "(root)")
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}

/**
 * Where the self time of the functions named `name` comes from: the nearest
 * caller frames outside `name` itself, `depth` frames deep, with their ms.
 */
export function callersOf(
  profile: CpuProfile,
  name: string,
  depth = 3,
): [string, number][] {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"}${
      n.callFrame.url ? ` (${where(n.callFrame)})` : ""
    }`;
  const out = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const leaf = byId.get(profile.samples[i]);
    if (!leaf || leaf.callFrame.functionName !== name) continue;
    const chain: string[] = [];
    let id = parent.get(leaf.id);
    while (id !== undefined && chain.length < depth) {
      const n = byId.get(id)!;
      if (n.callFrame.functionName !== name && n.callFrame.functionName !== "(root)") {
        chain.push(label(n));
      }
      id = parent.get(id);
    }
    const key = chain.join(" <- ") || "(root)";
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
  return [...out.entries()].sort((a, b) => b[1] - a[1]);
}

/** The summary as text: areas, top self time, and our own functions by inclusive time. */
export function formatSummary(s: ProfileSummary, top = 25): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1).padStart(5)}%`;
  const out = [
    `sampled ${s.sampledMs.toFixed(0)} ms, busy (not idle) ${s.busyMs.toFixed(0)} ms; ` +
    "percentages are of busy time",
    "",
    "self time by area:",
    ...s.areas.map(([a, ms]) => `  ${pct(ms)}  ${ms.toFixed(0).padStart(6)} ms  ${a}`),
    "",
    `top ${top} functions by self time:`,
    ...s.functions.slice(0, top).map((f) =>
      `  ${pct(f.selfMs)}  ${f.name}  ${f.where ? `(${f.where})` : ""}`
    ),
    "",
    "our src/ functions by inclusive time (self + callees):",
    ...s.functions.filter((f) => f.area.startsWith("src/"))
      .sort((a, b) => b.totalMs - a.totalMs).slice(0, top)
      .map((f) => `  ${pct(f.totalMs)} incl, ${pct(f.selfMs)} self  ${f.name}  (${f.where})`),
  ];
  return out.join("\n");
}

if (import.meta.main) {
  const [file, ...rest] = Deno.args;
  if (!file) {
    console.error(
      "usage: deno run -A bench/cpuprofile.ts PROFILE.cpuprofile [top] [--callers NAME [depth]]",
    );
    Deno.exit(2);
  }
  const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
  const c = rest.indexOf("--callers");
  if (c >= 0) {
    const s = summarizeProfile(profile);
    for (const [chain, ms] of callersOf(profile, rest[c + 1], Number(rest[c + 2] ?? 3))) {
      console.log(`${((ms / s.busyMs) * 100).toFixed(1).padStart(5)}%  ${chain}`);
    }
  } else console.log(formatSummary(summarizeProfile(profile), Number(rest[0] ?? 25)));
}
