// Shared helpers of the hostile-input tables: the CLI as a subprocess that
// is killed if it blocks, big and special files made at run time, and
// checks against the real test server that nothing was created or imported.
import { strictEqual } from "node:assert/strict";
import type postgres from "postgres";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { inTurn } from "../support/in_turn.ts";
import { cli as runCli, type CliResult, writeConnConfig } from "../transfer/_helpers.ts";

/** A run that did not end within this is a failure: hostile input must never block. */
export const CLI_DEADLINE_MS = 60_000;

export type { CliResult };
export { inTurn };

/** Runs `deno run -A cli.ts ...args` in `cwd`; killed after {@link CLI_DEADLINE_MS}. */
export function cli(args: string[], cwd: string): Promise<CliResult> {
  return runCli(args, cwd, { deadlineMs: CLI_DEADLINE_MS });
}

/** A fresh database, a temp dir and `conn.yaml` (type normal) for it in that dir. */
export async function setUp(
  label: string,
): Promise<{ db: TestDatabase; dir: string; conn: string }> {
  const db = await freshDatabase(label);
  const dir = await Deno.makeTempDir({ prefix: `pgm-${label.replaceAll(" ", "-")}-` });
  return { db, dir, conn: await writeConnConfig(dir, db) };
}

/** `exit N`, stdout and stderr, for assertion messages. */
export function show(r: CliResult): string {
  const cut = (text: string) => text.length > 2000 ? `${text.slice(0, 2000)}… (cut)\n` : text;
  return `exit ${r.code}\n--- stdout\n${cut(r.stdout)}--- stderr\n${cut(r.stderr)}`;
}

/** The first line of stderr that is not a warning. */
export function firstError(r: CliResult): string {
  return r.stderr.split("\n").find((l) => !l.startsWith("pgmonkey: warning: ")) ?? "";
}

/** Asserts exit status 1 and the exact first error line. */
export function assertFails(r: CliResult, line: string, label: string): void {
  strictEqual(r.code, 1, `${label}\n${show(r)}`);
  strictEqual(firstError(r), line, `${label}\n${show(r)}`);
}

/** Whether `schema.table` exists on the server. */
export async function tableExists(
  sql: postgres.Sql,
  schema: string,
  table: string,
): Promise<boolean> {
  const [{ n }] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = ${schema} AND tablename = ${table}`;
  return n > 0;
}

/** A named pipe made with `mkfifo` (nothing ever writes to it). */
export async function makeFifo(path: string): Promise<string> {
  const out = await new Deno.Command("mkfifo", { args: [path] }).output();
  if (!out.success) {
    throw new Error(`mkfifo ${path} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return path;
}

/** Bytes from parts: strings are UTF-8, numbers single bytes, arrays of bytes as they are. */
export function bytes(...parts: (string | number | readonly number[] | Uint8Array)[]): Uint8Array {
  const enc = new TextEncoder();
  const chunks = parts.map((p) =>
    typeof p === "string"
      ? enc.encode(p)
      : typeof p === "number"
      ? Uint8Array.of(p)
      : Uint8Array.from(p)
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** U+FEFF in UTF-8. */
export const BOM = [0xef, 0xbb, 0xbf] as const;
