// Shared helpers of the CLI tests: run the real CLI (`deno run -A cli.ts …`) as a
// subprocess, write config files, make temp dirs.
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository root (where `deno task pgmonkey` runs `cli.ts`). */
export const REPO_DIR: string = fileURLToPath(new URL("../../", import.meta.url));
/** Fixtures of the CLI tests. */
export const FIXTURES: string = fileURLToPath(new URL("../fixtures/cli/", import.meta.url));

/** What one CLI run gave. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link cli}. */
export interface CliOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory (default: the repository root). */
  cwd?: string;
}

const decoder = new TextDecoder();

/**
 * What Deno itself (not the CLI) prints on stderr when several `deno run`s
 * start at once and one waits for another to set up node_modules.
 */
const DENO_LOCK_NOTICE = "Blocking waiting for file lock on node_modules directory\n";

/** Runs `deno run -A cli.ts ...args` from the repository root. */
export async function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_DIR, "cli.ts"), ...args],
    cwd: options.cwd ?? REPO_DIR,
    env: { NO_COLOR: "1", PGMONKEY_DEBUG: "", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = decoder.decode(out.stderr);
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    // Deno may print it more than once (it waits for the lock in more than one phase).
    stderr: stderr.split(DENO_LOCK_NOTICE).join(""),
  };
}

/**
 * Writes a config object as a YAML file (JSON is YAML), readable by its owner
 * only (a literal password in a group-readable file gets a warning), and
 * returns its path.
 */
export async function writeConfig(path: string, config: unknown): Promise<string> {
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  return path;
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

/** A fresh temp directory for one test file. */
export function tempDir(label: string): Promise<string> {
  return Deno.makeTempDir({ prefix: `pgm-cli-${label}-` });
}

/** A TCP port on 127.0.0.1 nothing listens on. */
export function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A string that renders in messages like a failed assertion expects. */
export function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
