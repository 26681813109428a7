/**
 * Asking a real libpq (through Deno FFI) about a list of cases, in a
 * subprocess with a clean environment, so that each case sees exactly the
 * environment it names. Both sides of that exchange:
 *
 * - {@link runLibpqProbe} (test side) starts the probe script with only
 *   `PATH` and Deno's cache locations, sends the cases as JSON on stdin and
 *   returns the JSON the probe printed, with its stderr (libpq's warnings);
 * - {@link eachProbeCase} (probe side) reads the cases and runs each with
 *   the variables `cleared` selects removed and the case's `env` set.
 *
 * @module
 */
import { ok } from "node:assert/strict";

/** A case for a probe: a conninfo string and the environment libpq sees. */
export interface ProbeCase {
  conninfo: string;
  env: Record<string, string>;
}

/** Runs `script` with `args`, the cases on stdin; resolves what it printed (JSON) and its stderr. */
export async function runLibpqProbe<T>(
  script: URL,
  args: string[],
  cases: ProbeCase[],
): Promise<{ output: T; stderr: string }> {
  const passthrough: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "" };
  for (const name of ["HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) passthrough[name] = v;
  }
  const child = new Deno.Command(Deno.execPath(), {
    // --no-config: the probe needs nothing from deno.json, so it never waits for (or holds) the
    // node_modules lock that other deno processes of the test run take.
    args: ["run", "-A", "--no-config", script.pathname, ...args],
    clearEnv: true,
    env: passthrough,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  ok(out.success, `libpq probe ${script.pathname} failed: ${stderr}`);
  return { output: JSON.parse(new TextDecoder().decode(out.stdout)), stderr };
}

/**
 * In a probe: reads the cases from stdin and runs `run` for each, after
 * removing every environment variable `cleared` selects and setting the
 * case's own.
 */
export async function eachProbeCase<R>(
  cleared: (name: string) => boolean,
  run: (c: ProbeCase) => R,
): Promise<R[]> {
  const cases: ProbeCase[] = JSON.parse(await new Response(Deno.stdin.readable).text());
  const results: R[] = [];
  for (const c of cases) {
    for (const name of Object.keys(Deno.env.toObject())) if (cleared(name)) Deno.env.delete(name);
    for (const [k, v] of Object.entries(c.env)) Deno.env.set(k, v);
    results.push(run(c));
  }
  return results;
}
