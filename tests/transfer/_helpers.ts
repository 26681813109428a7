// Shared helpers of the transfer tests: fixture paths, the CLI as a
// subprocess, connection config files for the test server.
import { match, ok, strictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { TestDatabase } from "../support/db.ts";

/** The repository root. */
export const REPO_DIR: string = fileURLToPath(new URL("../../", import.meta.url));
/** Fixtures copied from the reference (`*.yaml` saved as `*.yaml.golden`). */
export const FIXTURES: string = fileURLToPath(new URL("../fixtures/transfer/", import.meta.url));

/** What one CLI run gave. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

/**
 * Runs `deno run -A cli.ts ...args` in `cwd`; with `deadlineMs` the process
 * is killed when it runs longer (a test of input that must never block).
 */
export async function cli(
  args: string[],
  cwd: string,
  options: { deadlineMs?: number } = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_DIR, "cli.ts"), ...args],
    cwd,
    env: { NO_COLOR: "1", PGMONKEY_DEBUG: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: options.deadlineMs ? AbortSignal.timeout(options.deadlineMs) : undefined,
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** `exit N`, stdout and stderr, for assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** Exactly one line on stderr, no stack trace, exit status 1. */
export function failsWith(r: CliResult, pattern: RegExp): void {
  strictEqual(r.code, 1, show(r));
  const lines = r.stderr.trimEnd().split("\n");
  strictEqual(lines.length, 1, r.stderr);
  match(lines[0], pattern);
  ok(!/\bat .*:\d+:\d+/.test(r.stderr), "no stack trace");
}

/** Writes `conn.yaml` for the test database into `dir`; returns its path. */
export async function writeConnConfig(
  dir: string,
  db: TestDatabase,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const path = join(dir, "conn.yaml");
  await Deno.writeTextFile(
    path,
    JSON.stringify({ connection_type: "normal", connection_settings: db.settings, ...extra }),
  );
  await Deno.chmod(path, 0o600); // a literal password in a group-readable file gets a warning
  return path;
}

/** A fresh temp directory. */
export function tempDir(label: string): Promise<string> {
  return Deno.makeTempDir({ prefix: `pgm-transfer-${label}-` });
}

/** Import settings text as pgmonkey writes it (without the comment block). */
export function importSettings(
  values: Partial<Record<"delimiter" | "encoding" | "quotechar", string>> & {
    has_headers?: boolean;
    auto_create_table?: boolean;
    enforce_lowercase?: boolean;
  } = {},
): string {
  const v = {
    auto_create_table: true,
    delimiter: ",",
    encoding: "utf-8",
    enforce_lowercase: true,
    has_headers: true,
    quotechar: '"',
    ...values,
  };
  return Object.entries(v).map(([k, x]) => `${k}: ${JSON.stringify(x)}\n`).join("");
}
